import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditInputError } from '../src/errors.js';
import { AuditLogger, SqliteAuditStore } from '../src/index.js';
import { tempDir } from './helpers.js';

const at = Date.UTC(2026, 1, 2, 10);
const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.bWFsbG9yeS1zaWduYXR1cmUtMDE';
const openAiKey = 'sk-proj-Qm7Zx2Lr9Tn4Kp1Wd8Ya3Bc6Ef5GhJ0';

/** Every byte of every file in the directory: both databases, their write-ahead logs and indexes. */
function bytesOf(dir: string): string {
  return readdirSync(dir)
    .map((file) => readFileSync(join(dir, file)).toString('latin1'))
    .join('\n');
}

function nested(depth: number, leaf: Record<string, unknown>): Record<string, unknown> {
  return depth === 0 ? leaf : { level: nested(depth - 1, leaf) };
}

/** The error `action` throws (it must throw). */
function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('secrets never reach the database files', () => {
  it('keeps every listed secret out of the bytes of both databases and their write-ahead logs', async () => {
    const dir = await tempDir();
    const logger = await AuditLogger.open({ path: join(dir, 'audit.db') });
    const secrets = {
      deep: 'deep-s3cret-Wq71',
      dbPassword: 'db-pw-Zq81xLm',
      accessToken: 'at-7Hq2Lm9Pz4',
      refreshToken: 'rt-Kd83mQp1Zx',
      apiSecret: 'as-Vn42Bx7Lq',
      secretKey: 'skey-Rr71Tt3',
      passwordConfirmation: 'pc-Hunter2-again',
      redis: 'redisPassw0rd-x',
      jwtKey: jwt,
      apiKeyKey: openAiKey,
      hexKey: 'c0ffee5a1b2c3d4e5f60718293a4b5c6',
      actionPassword: 'act-pw-5521',
      noteSecret: 'note-secret-88',
      metaPassword: 'meta-pw-Ux90',
    };
    logger.log(
      {
        event_id: 'visible-event-1',
        timestamp: at,
        event_type: 'tool_call',
        actor: 'agent-1',
        tool_name: 'deploy',
        action: `DB_PASSWORD=${secrets.actionPassword} ./deploy.sh`,
      },
      {
        arguments: {
          // Deeper than the redaction depth: stored as a mark, not as it is.
          config: nested(20, { password: secrets.deep, note: secrets.deep }),
          dbPassword: secrets.dbPassword,
          auth: { accessToken: secrets.accessToken, refreshToken: secrets.refreshToken },
          apiSecret: secrets.apiSecret,
          secretKey: secrets.secretKey,
          form: { password_confirmation: secrets.passwordConfirmation },
          cache: `redis://:${secrets.redis}@cache.internal:6379/0`,
          sessions: { [secrets.jwtKey]: 'alice', [secrets.apiKeyKey]: 'bob', [secrets.hexKey]: 'carol' },
          visible: 'visible-argument-1',
        },
      },
    );
    logger.log({
      event_id: 'visible-event-2',
      timestamp: at + 1,
      event_type: 'login',
      actor: 'agent-1',
      metadata: {
        dbPassword: secrets.metaPassword,
        note: `{"apiSecret": "${secrets.noteSecret}"}`,
        [secrets.jwtKey]: 1,
        link: `redis://:${secrets.redis}@cache.internal`,
        deep: nested(12, { refreshToken: secrets.refreshToken }),
      },
    });
    // While the logger is open the commits are in the write-ahead logs; after close, in the databases.
    for (const bytes of [bytesOf(dir), await logger.close().then(() => bytesOf(dir))]) {
      for (const [name, secret] of Object.entries(secrets)) expect(bytes, name).not.toContain(secret);
      expect(bytes).toContain('visible-argument-1');
      expect(bytes).toContain('visible-event-2');
      expect(bytes).toContain('[REDACTED:');
    }
  });
});

describe('input the logger cannot store', () => {
  it('refuses a BigInt in tool arguments or the event with a typed error naming the field', async () => {
    const dir = await tempDir();
    const logger = await AuditLogger.open({ path: join(dir, 'audit.db') });
    const event = { timestamp: at, event_type: 'tool_call', actor: 'a', tool_name: 'list' };
    const inArguments = thrown(() => logger.log(event, { arguments: { page: { limit: 10n } } }));
    expect(inArguments).toBeInstanceOf(AuditInputError);
    expect(inArguments).toMatchObject({
      code: 'AUDIT_NOT_JSON',
      path: 'toolCall.arguments.page.limit',
      message: 'toolCall.arguments.page.limit: BigInt is not JSON',
    });
    expect(thrown(() => logger.log({ ...event, metadata: { bytes: 2n ** 70n } }))).toMatchObject({
      code: 'AUDIT_NOT_JSON',
      message: 'event.metadata.bytes: BigInt is not JSON',
    });
    // An unknown field is kept in metadata.
    expect(thrown(() => logger.log({ ...event, bytes: 5n }))).toMatchObject({
      code: 'AUDIT_NOT_JSON',
      message: 'event.metadata.bytes: BigInt is not JSON',
    });
    expect(logger.store.stats()).toMatchObject({ events: 0, toolCalls: 0 });
    await logger.close();
  });

  it('refuses tool arguments that throw when read (a getter, a revoked proxy, a fake Date) with a typed error', async () => {
    const dir = await tempDir();
    const logger = await AuditLogger.open({ path: join(dir, 'audit.db') });
    const event = { timestamp: at, event_type: 'tool_call', actor: 'a', tool_name: 'list' };
    const revocable = Proxy.revocable({ a: 1 }, {});
    revocable.revoke();
    const hostile = [
      Object.defineProperty({}, 'x', {
        enumerable: true,
        get() {
          throw new Error('boom');
        },
      }),
      { nested: revocable.proxy },
      { when: new Proxy(new Date(0), {}) },
    ];
    for (const args of hostile) {
      const error = thrown(() => logger.log(event, { arguments: args }));
      expect(error).toBeInstanceOf(AuditInputError);
      expect(error).toMatchObject({ code: 'AUDIT_NOT_JSON', path: 'toolCall.arguments' });
      expect((error as Error).message).toMatch(/^toolCall\.arguments: could not be read: /);
    }
    expect(logger.store.stats()).toMatchObject({ events: 0, toolCalls: 0 });
    await logger.close();
  });

  it('refuses cyclic tool arguments with a typed error naming the field', async () => {
    const dir = await tempDir();
    const logger = await AuditLogger.open({ path: join(dir, 'audit.db') });
    const event = { timestamp: at, event_type: 'tool_call', actor: 'a', tool_name: 'list' };
    const args: Record<string, unknown> = { query: 'x' };
    args.self = args;
    const direct = thrown(() => logger.log(event, { arguments: args }));
    expect(direct).toBeInstanceOf(AuditInputError);
    expect(direct).toMatchObject({
      code: 'AUDIT_CYCLIC',
      path: 'toolCall.arguments.self',
      message: 'toolCall.arguments.self: cyclic reference (back to toolCall.arguments)',
    });
    const list: unknown[] = [{ name: 'a' }];
    list.push({ children: list });
    expect(thrown(() => logger.log(event, { arguments: { list } }))).toMatchObject({
      code: 'AUDIT_CYCLIC',
      message: 'toolCall.arguments.list[1].children: cyclic reference (back to toolCall.arguments.list)',
    });
    expect(logger.store.stats()).toMatchObject({ events: 0, toolCalls: 0 });
    await logger.close();
  });

  it('refuses a duplicate event id with a typed error, keeping the first event', async () => {
    const dir = await tempDir();
    const logger = await AuditLogger.open({ path: join(dir, 'audit.db') });
    const event = { event_id: 'e-1', timestamp: at, event_type: 'tool_call', actor: 'a', tool_name: 'list' };
    logger.log(event, { arguments: { page: 1 } });
    const duplicate = thrown(() => logger.log({ ...event, actor: 'b' }, { arguments: { page: 2 } }));
    expect(duplicate).toBeInstanceOf(AuditInputError);
    expect(duplicate).toMatchObject({
      code: 'AUDIT_DUPLICATE_EVENT_ID',
      path: 'event.event_id',
      message: 'event.event_id: "e-1" is already in the log',
    });
    expect(logger.store.stats()).toMatchObject({ events: 1, toolCalls: 1 });
    expect(logger.store.event('e-1')).toMatchObject({ actor: 'a' });
    const call = logger.store.db.prepare('SELECT arguments FROM tool_calls').get() as { arguments: string };
    expect(call.arguments).toBe('{"page":1}');
    await logger.close();
  });

  it('stores arguments that share one object many times over within the limits', async () => {
    const dir = await tempDir();
    const logger = await AuditLogger.open({ path: join(dir, 'audit.db') });
    // Five references to the level below, eight levels: 390,625 leaves when copied naively.
    let shared: unknown = 'leaf';
    for (let level = 0; level < 8; level++)
      shared = { a: shared, b: shared, c: shared, d: shared, e: shared };
    logger.log(
      { event_id: 'wide', timestamp: at, event_type: 'tool_call', actor: 'a', tool_name: 'x' },
      { arguments: { shared } },
    );
    const stored = logger.store.db.prepare('SELECT arguments FROM tool_calls').get() as { arguments: string };
    expect(stored.arguments.length).toBeLessThan(600_000);
    expect(stored.arguments).toContain('[REDACTED:too-large]');
    await logger.close();
  });

  it('gives callers of the store a typed error for arguments JSON cannot hold', async () => {
    const dir = await tempDir();
    const store = SqliteAuditStore.open(join(dir, 'audit.db'));
    const row = {
      event_id: 'e-1',
      correlation_id: null,
      session_id: null,
      timestamp: at,
      event_type: 'tool_call',
      actor: 'a',
      tool_name: 'x',
      action: null,
      status: 'success',
      success: 1,
      duration_ms: null,
      resource_count: null,
      destination: null,
      file_path: null,
      metadata: '{}',
    };
    const error = thrown(() =>
      store.insertEvent(row, at, { toolName: 'x', arguments: { n: 1n }, success: true }),
    );
    expect(error).toBeInstanceOf(AuditInputError);
    expect(error).toMatchObject({ code: 'AUDIT_NOT_JSON', path: 'toolCall.arguments' });
    expect(store.stats().events).toBe(0);
    store.close();
  });
});
