import { describe, expect, it } from 'vitest';
import { luhn, redactText, redactValue } from '../src/index.js';

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
