import { describe, expect, it } from 'vitest';
import { meterWork } from '../../../tooling/regexp-meter.js';
import { AuditInputError } from '../src/errors.js';
import { luhn, redactText, redactValue } from '../src/index.js';
import { REDACTION_LIMITS } from '../src/redact.js';

// Real-looking secrets (made up, in the formats their issuers use).
const SECRETS = {
  awsAccessKey: 'AKIAIOSFODNN7EXAMPLE',
  openAiKey: 'sk-proj-4fQ9xZ2mLr7Tn1Kp8Wd3Ya6Bc5Ef0GhJ',
  anthropicKey: 'sk-ant-api03-Zx81mQ2vLr5Tn7Kp0Wd3Ya9Bc4Ef6GhQ',
  githubToken: 'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
  slackToken: 'xoxb-2048-1337-aBcDeFgHiJkLmNoP',
  stripeKey: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
  googleKey: 'AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q',
  jwt: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  bearer: 'Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0',
  privateKey:
    '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq98W6jS2n0Fq3m\nYb1jZ0c8Qm1x\n-----END RSA PRIVATE KEY-----',
  opensshKey:
    '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----',
};

describe('redactText', () => {
  it.each(Object.entries(SECRETS))('removes a %s wherever it appears in text', (_kind, secret) => {
    const text = `before ${secret} after`;
    const redacted = redactText(text);
    expect(redacted).not.toContain(secret);
    expect(redacted).toMatch(/^before .*\[REDACTED:[a-z-]+\].* after$/);
  });

  it('keeps the scheme of a bearer header and removes the token', () => {
    expect(redactText('Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0')).toBe(
      'Authorization: Bearer [REDACTED:bearer-token]',
    );
  });

  it('removes passwords from key=value, key: value and JSON text', () => {
    expect(redactText('login user=alice password=hunter2&next=/home')).toBe(
      'login user=alice password=[REDACTED:password]&next=/home',
    );
    expect(redactText('{"user":"alice","password":"s3cr3t!"}')).toBe(
      '{"user":"alice","password":"[REDACTED:password]"}',
    );
    expect(redactText('api_key: abcdef123456')).toBe('api_key: [REDACTED:password]');
  });

  it('removes credentials from URLs and keeps the rest', () => {
    expect(redactText('postgres://app:Pa55w0rd@db.internal:5432/prod')).toBe(
      'postgres://app:[REDACTED:url-credentials]@db.internal:5432/prod',
    );
  });

  it('removes card numbers that pass the Luhn check, in any grouping', () => {
    for (const card of [
      '4111 1111 1111 1111',
      '5555-5555-5555-4444',
      '378282246310005',
      '6011111111111117',
    ]) {
      expect(redactText(`card ${card} ok`), card).toBe('card [REDACTED:card-number] ok');
    }
  });

  it('keeps ordinary numbers: ids, epoch milliseconds, numbers failing Luhn', () => {
    for (const text of [
      'order 4111111111111112',
      'at 1795773627377',
      'phone 555 0100',
      'ref 12345678901234',
    ]) {
      expect(redactText(text)).toBe(text);
    }
  });
});

describe('redactValue', () => {
  it('replaces values under secret-naming keys and scans every string, deeply, without changing the input', () => {
    const input = {
      user: 'alice',
      password: 'hunter2',
      headers: { Authorization: 'Basic YWxpY2U6aHVudGVyMg==', 'x-api-key': 'k-123', accept: 'json' },
      args: ['--token', SECRETS.githubToken, { client_secret: 'abc' }],
      max_tokens: 512,
      note: `deploy with ${SECRETS.awsAccessKey}`,
    };
    const copy = structuredClone(input);
    expect(redactValue(input)).toEqual({
      user: 'alice',
      password: '[REDACTED:secret]',
      headers: { Authorization: '[REDACTED:secret]', 'x-api-key': '[REDACTED:secret]', accept: 'json' },
      args: ['--token', '[REDACTED:api-key]', { client_secret: '[REDACTED:secret]' }],
      max_tokens: 512,
      note: 'deploy with [REDACTED:api-key]',
    });
    expect(input).toEqual(copy);
  });

  it('computes the Luhn checksum', () => {
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('4111111111111112')).toBe(false);
  });
});

describe('redactText on pathological input', () => {
  // The inputs: the JWT rule took 16.5 s on 200 kB of `-eyJ`, the URL-credentials rule 2.6 s
  // per 100 kB of `a.`. Every rule is now linear, and its work is counted, not timed (benchmarks
  // measure speed): linear rules take a few steps per character (at most about 10 backtracks per
  // character a scan passes over, compiled without optimizations, and 4 reads per character); the
  // old JWT rule takes tens of thousands per character of 200 kB.
  const LINEAR = 64;
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
  const pathological: Record<string, string> = {
    'repeated -eyJ': '-eyJ'.repeat(50_000),
    'repeated a.': 'a.'.repeat(100_000),
    'repeated a-': 'a-'.repeat(100_000),
    'repeated .eyJ segments': '.eyJaaaaa'.repeat(22_000),
    'repeated sk-': 'sk-'.repeat(66_000),
    'repeated scheme://user:': 'x://u:'.repeat(33_000),
    'repeated a=': 'a='.repeat(100_000),
    'repeated password="': 'password="'.repeat(20_000),
    'repeated escaped JSON keys': '\\"password\\":\\"'.repeat(12_000),
    'spaced digits': '4 '.repeat(100_000),
    'unterminated private keys': '-----BEGIN '.repeat(18_000),
  };
  it.each(Object.entries(pathological))('handles 200 kB of %s in linear time', (_name, text) => {
    const work = meterWork(() => redactText(text), LINEAR);
    expect(work.scans).toBeGreaterThan(0);
    expect(work.overBudget).toEqual([]);
    expect(work.reads).toBeLessThanOrEqual(LINEAR * text.length);
  });

  it('(the meter) finds the old quadratic JWT rule and a scanner that searches again from the start', () => {
    const text = pathological['repeated -eyJ']!;
    const oldJwt = /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g;
    expect(meterWork(() => text.replace(oldJwt, ''), LINEAR).overBudget).toHaveLength(1);
    // Looking for the next `=` again from each of the first 100 characters already reads 20 million.
    const again = meterWork(() => {
      for (let at = 0; at < 100; at++) text.indexOf('=', at);
    }, LINEAR);
    expect(again.reads).toBeGreaterThan(LINEAR * text.length);
  });

  it('still finds a secret after a pathological prefix', () => {
    expect(redactText(`${'-eyJ'.repeat(25_000)} ${jwt}`)).not.toContain(jwt);
    expect(redactText(`${'a.'.repeat(50_000)} redis://:hunter2pass@cache:6379`)).not.toContain('hunter2pass');
  });
});

describe('redactText, compound names and URLs', () => {
  it.each([
    ['DB_PASSWORD=s3cr3t-db', 's3cr3t-db'],
    ['export dbPassword=s3cr3t-db', 's3cr3t-db'],
    ['{"apiSecret": "abc def ghi"}', 'abc def ghi'],
    ['{"password_confirmation":"p@ss w0rd"}', 'p@ss w0rd'],
    ['refreshToken: rt-0192837465', 'rt-0192837465'],
    ['{\\"secretKey\\":\\"k-5550123\\"}', 'k-5550123'],
    ['Authorization: Basic dXNlcjpodW50ZXIy', 'dXNlcjpodW50ZXIy'],
    ['Cookie: session=9a8b7c6d5e; theme=dark', '9a8b7c6d5e'],
  ])('removes the value of a secret-named assignment in %s', (text, secret) => {
    const redacted = redactText(text);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain('[REDACTED:');
  });

  it('keeps assignments whose names are not secrets', () => {
    for (const text of [
      'max_tokens=512',
      'tokenCount: 7',
      'token_type=Bearer',
      'sessionId=s-42',
      'time 10:30:00',
    ]) {
      expect(redactText(text)).toBe(text);
    }
  });

  it('removes URL credentials with an empty user or an @ in the password', () => {
    expect(redactText('redis://:hunter2pass@cache.internal:6379/0')).toBe(
      'redis://:[REDACTED:url-credentials]@cache.internal:6379/0',
    );
    expect(redactText('mysql://app:p@ss@db.internal/prod')).toBe(
      'mysql://app:[REDACTED:url-credentials]@db.internal/prod',
    );
    expect(redactText('see https://example.com:8443/path?a=b@c')).toBe(
      'see https://example.com:8443/path?a=b@c',
    );
  });
});

describe('redactValue, key names', () => {
  const secretNames = [
    'password',
    'dbPassword',
    'DB_PASSWORD',
    'password_confirmation',
    'accessToken',
    'refreshToken',
    'refresh_token',
    'idToken',
    'csrftoken',
    'apiSecret',
    'secretKey',
    'client_secret',
    'aws_secret_access_key',
    'APIKey',
    'x-api-key',
    'privateKeyPem',
    'credentials',
    'Authorization',
    'Proxy-Authorization',
    'set-cookie',
    'session',
    'basicAuth',
    'pwd',
    'pass',
  ];
  it.each(secretNames)('replaces the value under %s', (name) => {
    expect(redactValue({ [name]: 'opaque-value-42' })).toEqual({ [name]: '[REDACTED:secret]' });
  });

  // Counts, kinds and identifiers: an AI agent's log is full of token counts.
  const keptNames = [
    'tokenCount',
    'max_tokens',
    'input_tokens',
    'token_type',
    'sessionId',
    'authMethod',
    'author',
    'cookieName',
    'cacheKey',
    'key',
    'secretary',
  ];
  it.each(keptNames)('keeps the value under %s', (name) => {
    expect(redactValue({ [name]: 'opaque-value-42' })).toEqual({ [name]: 'opaque-value-42' });
  });
});

describe('redactValue, secrets as keys', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
  it('replaces keys that are JWTs, API keys or random tokens, keeping every value apart', () => {
    const redacted = redactValue({
      [jwt]: { calls: 1 },
      [SECRETS.openAiKey]: 2,
      '9f8e7d6c5b4a39281706f5e4d3c2b1a0': 3,
      aBcD3fGh1jKlMn0pQrStUv: 4,
    });
    const text = JSON.stringify(redacted);
    for (const secret of [
      jwt,
      SECRETS.openAiKey,
      '9f8e7d6c5b4a39281706f5e4d3c2b1a0',
      'aBcD3fGh1jKlMn0pQrStUv',
    ])
      expect(text).not.toContain(secret);
    expect(Object.values(redacted as Record<string, unknown>)).toEqual([{ calls: 1 }, 2, 3, 4]);
  });

  it('keeps keys that are names, paths, times or UUIDs', () => {
    const value = {
      s3BucketArnForUsEast1Region: 1,
      '/srv/invoices/2026-11.csv': 2,
      '2026-02-04T00:00:00.000Z': 3,
      '3f2b1c4e-5d6a-4b7c-8d9e-0f1a2b3c4d5e': 4,
    };
    expect(redactValue(value)).toEqual(value);
  });
});

describe('redactValue, bounds', () => {
  const nest = (depth: number, leaf: unknown): unknown =>
    depth === 0 ? leaf : { next: nest(depth - 1, leaf) };

  it('replaces what is nested deeper than the limit instead of storing it unredacted', () => {
    const text = JSON.stringify(redactValue(nest(20, { password: 'deep-hunter2' })));
    expect(text).not.toContain('deep-hunter2');
    // Values 1 to maxDepth levels down are kept; the one below is the mark.
    expect(text.split('"next"').length - 1).toBe(REDACTION_LIMITS.maxDepth + 1);
    expect(text).toContain('"next":"[REDACTED:too-deep]"');
  });

  it('cuts long strings with a mark, and a secret across the cut is not stored in part', () => {
    const key = SECRETS.githubToken;
    const cutAt = REDACTION_LIMITS.maxStringLength - 5;
    const text = redactValue(`${'x'.repeat(cutAt)}${key}${'y'.repeat(200_000)}`) as string;
    expect(text.length).toBeLessThanOrEqual(REDACTION_LIMITS.maxStringLength);
    expect(text.endsWith('[REDACTED:truncated]')).toBe(true);
    expect(text).not.toContain(key.slice(0, 5));
  });

  it('copies shared references only as far as the limits: a structure that doubles 18 times stays small', () => {
    // 262,144 leaves when copied naively (the old copy was 1.8 MB); kept: at most maxValues values.
    let shared: unknown = 'leaf';
    for (let i = 0; i < 18; i++) shared = [shared, shared];
    const text = JSON.stringify(redactValue(shared));
    expect(text.length).toBeLessThan(400_000);
    expect(text).toContain('[REDACTED:too-large]');
  });

  it('keeps at most maxValues values and maxTextLength characters', () => {
    const many = Array.from({ length: 50_000 }, (_, i) => i);
    const kept = redactValue(many) as unknown[];
    expect(kept.length).toBeLessThanOrEqual(REDACTION_LIMITS.maxValues + 1);
    expect(kept.at(-1)).toBe('[REDACTED:too-large]');
    const texts = redactValue(Array.from({ length: 100 }, () => 'z'.repeat(10_000)));
    expect(JSON.stringify(texts).length).toBeLessThan(REDACTION_LIMITS.maxTextLength + 10_000);
  });

  it('changes nothing when given its own output', () => {
    const value = {
      [SECRETS.jwt]: 'a',
      dbPassword: 'b',
      long: 'q'.repeat(40_000),
      deep: nest(20, 'c'),
      list: Array.from({ length: 12_000 }, (_, i) => `item ${i} password=${i}`),
    };
    const once = redactValue(value);
    expect(redactValue(once)).toEqual(once);
  });
});

describe('redactValue, values JSON cannot hold', () => {
  it('throws a typed error naming the field for a BigInt', () => {
    const call = () => redactValue({ page: { limit: 10n } }, 'toolCall.arguments');
    expect(call).toThrow(AuditInputError);
    expect(call).toThrow('toolCall.arguments.page.limit: BigInt is not JSON');
    try {
      call();
    } catch (error) {
      expect((error as AuditInputError).code).toBe('AUDIT_NOT_JSON');
    }
  });

  it('throws a typed error naming the field for a cycle, and shared references are no cycle', () => {
    const args: Record<string, unknown> = { name: 'x' };
    args.items = [{ parent: args }];
    expect(() => redactValue(args, 'toolCall.arguments')).toThrow(
      'toolCall.arguments.items[0].parent: cyclic reference (back to toolCall.arguments)',
    );
    const shared = { a: 1 };
    expect(redactValue({ x: shared, y: [shared, shared] })).toEqual({ x: { a: 1 }, y: [{ a: 1 }, { a: 1 }] });
  });

  it('never puts a secret key in the message', () => {
    const args: Record<string, unknown> = {};
    args[SECRETS.githubToken] = { loop: args };
    expect(() => redactValue(args, 'toolCall.arguments')).toThrow(AuditInputError);
    expect(() => redactValue(args, 'toolCall.arguments')).not.toThrow(SECRETS.githubToken);
  });

  it('stores what JSON stores: dates as ISO strings, no functions, null for non-finite numbers', () => {
    expect(redactValue({ at: new Date(0), f: () => 1, n: [Number.NaN, undefined, 2] })).toEqual({
      at: '1970-01-01T00:00:00.000Z',
      n: [null, null, 2],
    });
  });
});
