import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '@harombe/models';
import {
  CorruptError,
  FileModelStore,
  type NotFoundError,
  StoreConfigError,
  TamperedError,
} from '@harombe/persistence';
import { beforeAll, describe, expect, it } from 'vitest';
import { PostgresModelStore, VersionConflictError } from '../src/index.js';
import { pgUrl, useDatabase } from './support.js';

const KEY = Buffer.alloc(32, 7);

describe.skipIf(!pgUrl)('PostgresModelStore', () => {
  const { pool, schema } = useDatabase();
  const store = new PostgresModelStore({ pool, schema, key: null });

  beforeAll(async () => {
    // Idempotent, and safe when several replicas migrate at once.
    const replicas = [1, 2, 3].map(() => new PostgresModelStore({ pool, schema, key: null }));
    await Promise.all(replicas.map((replica) => replica.migrate()));
    await store.migrate();
  });

  it('behaves as FileModelStore on the ModelStore port', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'harombe-port-'));
    try {
      const file = new FileModelStore({ directory, key: null, durable: false });
      const ids = ['agent-1', '../../etc/passwd', 'ünï cødé 🤖', 'x'.repeat(300)];
      const outcomes = [];
      for (const target of [file, store]) {
        const steps: unknown[] = [];
        steps.push(await target.load('agent-1', 'detector').catch((error: NotFoundError) => error.code));
        for (const [index, id] of ids.entries())
          await target.save(id, 'detector', { id, trees: [index, 1.5] });
        await target.save('agent-1', 'baseline', { hours: [1, 2] });
        await target.save('agent-1', 'detector', { replaced: true });
        steps.push(await target.load('agent-1', 'detector'));
        steps.push(await target.load('../../etc/passwd', 'detector'));
        steps.push(await target.has('ünï cødé 🤖', 'detector'), await target.has('ünï cødé 🤖', 'baseline'));
        const listed = (await target.list('detector')).map((ref) => ref.agentId).sort();
        steps.push(listed, (await target.list()).length);
        steps.push(await target.delete('agent-1', 'baseline'), await target.delete('agent-1', 'baseline'));
        steps.push(await target.has('agent-1', 'baseline'));
        outcomes.push(steps);
      }
      expect(outcomes[1]).toEqual(outcomes[0]);
      expect(outcomes[1]![0]).toBe('STORE_NOT_FOUND');
      expect(outcomes[1]![1]).toEqual({ replaced: true });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('numbers versions and carries the watermark through saveIfVersion and loadVersioned', async () => {
    const first = await store.saveIfVersion(
      'v-agent',
      'threat-model',
      { n: 1 },
      { expectedVersion: null, watermark: 0 },
    );
    expect(first).toMatchObject({ version: 1, watermark: 0 });
    const second = await store.saveIfVersion(
      'v-agent',
      'threat-model',
      { n: 2 },
      { expectedVersion: 1, watermark: 17 },
    );
    expect(second).toMatchObject({ version: 2, watermark: 17 });
    await expect(store.loadVersioned('v-agent', 'threat-model')).resolves.toMatchObject({
      body: { n: 2 },
      version: 2,
      watermark: 17,
    });
    // An unconditional save moves the version on and forgets the watermark.
    await expect(store.save('v-agent', 'threat-model', { n: 3 })).resolves.toMatchObject({
      version: 3,
      watermark: null,
    });
    expect(await store.currentVersion('v-agent', 'threat-model')).toBe(3);
  });

  it('refuses a save that would overwrite a newer version, and changes nothing', async () => {
    await store.saveIfVersion('c-agent', 'threat-model', { by: 'a' }, { expectedVersion: null });
    await store.saveIfVersion('c-agent', 'threat-model', { by: 'b' }, { expectedVersion: 1 });
    const stale = store.saveIfVersion('c-agent', 'threat-model', { by: 'stale' }, { expectedVersion: 1 });
    await expect(stale).rejects.toBeInstanceOf(VersionConflictError);
    await expect(stale).rejects.toMatchObject({
      code: 'STORE_VERSION_CONFLICT',
      expectedVersion: 1,
      actualVersion: 2,
    });
    await expect(
      store.saveIfVersion('c-agent', 'threat-model', { by: 'again' }, { expectedVersion: null }),
    ).rejects.toMatchObject({ code: 'STORE_VERSION_CONFLICT', expectedVersion: null, actualVersion: 2 });
    await expect(store.load('c-agent', 'threat-model')).resolves.toEqual({ by: 'b' });
    await store.delete('c-agent', 'threat-model');
    await expect(
      store.saveIfVersion('c-agent', 'threat-model', {}, { expectedVersion: 2 }),
    ).rejects.toMatchObject({ actualVersion: null });
  });

  it('detects an older valid artifact swapped into the row with plain SQL', async () => {
    await store.saveIfVersion(
      't-agent',
      'threat-model',
      { learned: 'old' },
      { expectedVersion: null, watermark: 5 },
    );
    const old = await pool.query(`SELECT sealed FROM ${store.table} WHERE agent_id = $1`, ['t-agent']);
    await store.saveIfVersion(
      't-agent',
      'threat-model',
      { learned: 'new' },
      { expectedVersion: 1, watermark: 9 },
    );
    await pool.query(`UPDATE ${store.table} SET sealed = $1 WHERE agent_id = $2`, [
      old.rows[0].sealed,
      't-agent',
    ]);
    const load = store.load('t-agent', 'threat-model');
    await expect(load).rejects.toBeInstanceOf(TamperedError);
    await expect(load).rejects.toThrow(
      /row says version 2 \(watermark 9\), the sealed artifact version 1 \(watermark 5\)/,
    );
    // The watermark alone is authenticated too.
    await store.saveIfVersion('w-agent', 'threat-model', {}, { expectedVersion: null, watermark: 3 });
    await pool.query(`UPDATE ${store.table} SET watermark = 100 WHERE agent_id = $1`, ['w-agent']);
    await expect(store.loadVersioned('w-agent', 'threat-model')).rejects.toBeInstanceOf(TamperedError);
  });

  it("detects another agent's artifact and flipped bytes in a row", async () => {
    await store.save('victim', 'detector', { who: 'victim' });
    await store.save('intruder', 'detector', { who: 'intruder' });
    await pool.query(
      `UPDATE ${store.table} SET sealed = (SELECT sealed FROM ${store.table} WHERE agent_id = 'intruder' AND kind = 'detector') WHERE agent_id = 'victim' AND kind = 'detector'`,
    );
    await expect(store.load('victim', 'detector')).rejects.toBeInstanceOf(CorruptError);
    await pool.query(
      `UPDATE ${store.table} SET sealed = overlay(sealed placing '\\x00'::bytea from length(sealed) - 2) WHERE agent_id = 'intruder' AND kind = 'detector'`,
    );
    await expect(store.load('intruder', 'detector')).rejects.toBeInstanceOf(TamperedError);
  });

  it('encrypts at rest with AES-256-GCM and round-trips', async () => {
    const encrypted = new PostgresModelStore({ pool, schema, table: 'sealed_artifacts', key: KEY });
    await encrypted.migrate();
    expect(encrypted.encrypted).toBe(true);
    const body = { secret: 'credential-path-catalogue', trees: [[1, 2, 3]] };
    await encrypted.saveIfVersion('enc', 'threat-model', body, { expectedVersion: null, watermark: 42 });
    await expect(encrypted.loadVersioned('enc', 'threat-model')).resolves.toMatchObject({
      body,
      version: 1,
      watermark: 42,
    });
    const { rows } = await pool.query(`SELECT sealed FROM ${encrypted.table}`);
    expect((rows[0].sealed as Buffer).includes('credential-path-catalogue')).toBe(false);
    const wrongKey = new PostgresModelStore({
      pool,
      schema,
      table: 'sealed_artifacts',
      key: Buffer.alloc(32, 8),
    });
    await expect(wrongKey.load('enc', 'threat-model')).rejects.toBeInstanceOf(TamperedError);
    const noKey = new PostgresModelStore({ pool, schema, table: 'sealed_artifacts', key: null });
    await expect(noKey.load('enc', 'threat-model')).rejects.toBeInstanceOf(StoreConfigError);
  });

  it('answers bad input with typed errors before touching the database', async () => {
    expect(() => new PostgresModelStore({ pool, table: 'artifacts; DROP TABLE x' })).toThrow(ValidationError);
    expect(() => new PostgresModelStore({ pool, schema: 'Public"' })).toThrow(/schema/);
    expect(() => new PostgresModelStore({ pool, connectionString: 'postgres://x' })).toThrow(
      StoreConfigError,
    );
    expect(() => new PostgresModelStore({})).toThrow(StoreConfigError);
    expect(() => new PostgresModelStore({ pool, key: 'c2hvcnQ=' })).toThrow(StoreConfigError);
    await expect(store.save('', 'detector', {})).rejects.toBeInstanceOf(ValidationError);
    await expect(store.save('a', 'Bad Kind', {})).rejects.toBeInstanceOf(ValidationError);
    await expect(store.save('a', 'detector', { n: 1n })).rejects.toBeInstanceOf(CorruptError);
    await expect(store.saveIfVersion('a', 'detector', {}, { expectedVersion: 1.5 })).rejects.toThrow(
      /saveIfVersion options.expectedVersion/,
    );
    await expect(
      store.saveIfVersion('a', 'detector', {}, { expectedVersion: null, watermark: -1 }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await store.has('a', 'detector')).toBe(false);
  });
});
