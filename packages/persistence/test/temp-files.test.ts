import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileModelStore } from '../src/index.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'harombe-temp-'));
const hash = (id: string) => createHash('sha256').update(id).digest('hex');
const HOUR_AGO = (Date.now() - 3_600_000) / 1000;

/** A file as a save killed midway leaves it (the store's temp-name shape), optionally back-dated. */
function leftover(dir: string, agentId: string, pid: number, old: boolean): string {
  const name = `.${hash(agentId)}.detector.json.${pid}.0123456789ab.tmp`;
  const path = join(dir, name);
  writeFileSync(path, 'half a model');
  if (old) utimesSync(path, HOUR_AGO, HOUR_AGO);
  return name;
}

/** Files that are not the store's temp files, however much they look like them; all back-dated. */
function bystanders(dir: string): string[] {
  const names = [
    '.notes.tmp',
    'report.tmp',
    `.${hash('x')}.detector.json.tmp`,
    `.${hash('y')}.detector.json.1.zz.tmp`,
  ];
  for (const name of names) {
    writeFileSync(join(dir, name), 'not ours');
    utimesSync(join(dir, name), HOUR_AGO, HOUR_AGO);
  }
  mkdirSync(join(dir, `.${hash('z')}.detector.json.1.0123456789ab.tmp`));
  return [...names, `.${hash('z')}.detector.json.1.0123456789ab.tmp`];
}

describe('temp files of killed saves', () => {
  it('are removed when a store is first used, if older than ten minutes; nothing else is touched', async () => {
    const dir = tempDir();
    await new FileModelStore({ directory: dir, key: null }).save('a', 'detector', { v: 1 });
    const stale = [leftover(dir, 'a', 4_000_001, true), leftover(dir, 'b', process.pid, true)];
    // A temp file this young may be a save in progress in another process: it stays.
    const fresh = leftover(dir, 'c', 4_000_002, false);
    const others = bystanders(dir);

    const store = new FileModelStore({ directory: dir, key: null });
    expect(await store.load('a', 'detector')).toEqual({ v: 1 });
    const names = readdirSync(dir);
    for (const name of stale) expect(names).not.toContain(name);
    expect(names).toContain(fresh);
    for (const name of others) expect(names).toContain(name);
    expect(names).toContain(`${hash('a')}.detector.json`);
  });

  it('are cleaned before the first save, list, has or delete too', async () => {
    for (const use of [
      (s: FileModelStore) => s.save('b', 'detector', { v: 2 }),
      (s: FileModelStore) => s.list(),
      (s: FileModelStore) => s.has('a', 'detector'),
      (s: FileModelStore) => s.delete('b', 'detector'),
    ]) {
      const dir = tempDir();
      const name = leftover(dir, 'a', 4_000_001, true);
      await use(new FileModelStore({ directory: dir, key: null }));
      expect(existsSync(join(dir, name))).toBe(false);
    }
  });

  it('removeStaleTempFiles removes only the store temp files, young ones too unless given an age', async () => {
    const dir = tempDir();
    const store = new FileModelStore({ directory: dir, key: null });
    await store.save('a', 'detector', { v: 1 }); // the store has been used: no automatic cleanup below
    const old = leftover(dir, 'a', 4_000_001, true);
    const young = leftover(dir, 'b', 4_000_002, false);
    const others = bystanders(dir);
    expect(await store.removeStaleTempFiles(600_000)).toBe(1);
    expect(existsSync(join(dir, old))).toBe(false);
    expect(existsSync(join(dir, young))).toBe(true);
    expect(await store.removeStaleTempFiles()).toBe(1);
    expect(existsSync(join(dir, young))).toBe(false);
    for (const name of others) expect(existsSync(join(dir, name))).toBe(true);
    expect(await store.load('a', 'detector')).toEqual({ v: 1 });
  });

  it('removeStaleTempFiles never removes the temp file of a save in flight in this process', async () => {
    const dir = tempDir();
    const store = new FileModelStore({ directory: dir, key: null, compression: 'none' });
    const body = { data: Array.from({ length: 200_000 }, (_, i) => i) };
    await store.save('warm', 'detector', { v: 0 });
    const saves = Array.from({ length: 20 }, (_, i) => store.save(`agent-${i}`, 'detector', body));
    let settled = false;
    const outcome = Promise.allSettled(saves).finally(() => {
      settled = true;
    });
    while (!settled) {
      await store.removeStaleTempFiles();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await outcome;
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  });
});
