import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AnomalyPlugin, AuditLogger, SqliteAuditStore, securityDatabasePath } from '../src/index.js';
import { tempDir } from './helpers.js';

const writer = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));

/**
 * Starts the writer process (with the anomaly plugin when `modelDir` is given); `committed` collects
 * the ids it reported as committed.
 */
function startWriter(
  path: string,
  options: { limit?: number; modelDir?: string; first?: number } = {},
): { child: ChildProcess; committed: string[]; exited: Promise<number | null> } {
  const args = [
    path,
    String(options.limit ?? 'Infinity'),
    options.modelDir ?? '-',
    String(options.first ?? 0),
  ];
  const child = spawn(process.execPath, ['--import', 'tsx', writer, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const committed: string[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    committed.push(...lines.filter(Boolean));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, committed, exited };
}

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('durability and concurrency with a real writer process', () => {
  it('loses nothing committed when the writer is killed mid-write, again and again', async () => {
    const dir = await tempDir();
    const path = join(dir, 'audit.db');
    const everCommitted: string[] = [];
    for (let round = 0; round < 6; round++) {
      const { child, committed, exited } = startWriter(path);
      // Kill at a different moment each round: after some hundreds of commits.
      await until(() => committed.length >= 150 + round * 97);
      child.kill('SIGKILL');
      await exited;
      everCommitted.push(...committed);
      const db = new Database(path);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const ids = new Set(
        (db.prepare('SELECT event_id FROM audit_events').all() as Array<{ event_id: string }>).map(
          (r) => r.event_id,
        ),
      );
      const missing = everCommitted.filter((id) => !ids.has(id));
      expect(missing, `round ${round}`).toEqual([]);
      db.close();
    }
  }, 120_000);

  it('serves concurrent readers in other processes while a writer logs', async () => {
    const dir = await tempDir();
    const path = join(dir, 'audit.db');
    const { committed, exited } = startWriter(path, { limit: 3000 });
    await until(() => committed.length > 0);
    const reader = new Database(path, { readonly: true });
    reader.prepare('ATTACH DATABASE ? AS security').run(securityDatabasePath(path));
    const count = reader.prepare('SELECT COUNT(*) AS n FROM audit_events');
    const alerts = reader.prepare('SELECT COUNT(*) AS n FROM security_alerts WHERE level_rank >= 3');
    const counts: number[] = [];
    while (committed.length < 3000) {
      counts.push((count.get() as { n: number }).n);
      alerts.get();
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(await exited).toBe(0);
    expect((count.get() as { n: number }).n).toBe(3000);
    // Reads never failed and saw the table grow while the writer was at work.
    expect(counts.length).toBeGreaterThan(5);
    expect(new Set(counts).size).toBeGreaterThan(2);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    reader.close();
  }, 120_000);

  it('assesses, at the next start, what a killed process had logged but not yet assessed', async () => {
    const dir = await tempDir();
    const path = join(dir, 'audit.db');
    const modelDir = join(dir, 'models');
    // History without detection; then a process with the anomaly plugin, killed while it logs.
    const history = startWriter(path, { limit: 2000 });
    expect(await history.exited).toBe(0);
    const live = startWriter(path, { modelDir, first: 2000 });
    await until(() => live.committed.length >= 1500);
    live.child.kill('SIGKILL');
    await live.exited;

    const store = SqliteAuditStore.open(path, { mode: 'read' });
    const through = store.assessedThrough()!;
    const events = store.stats().events;
    store.close();
    // The first start took the history as history; the kill left committed events unassessed.
    expect(through).toBeGreaterThanOrEqual(2000);
    expect(events).toBeGreaterThanOrEqual(3500);
    const pending = events - through;
    expect(pending).toBeGreaterThan(0);

    const plugin = new AnomalyPlugin({ modelDir, feedbackPollMs: 0 });
    const logger = await AuditLogger.open({ path, plugins: [plugin] });
    expect(plugin.stats()).toMatchObject({ assessed: pending, skipped: 0, failed: 0 });
    expect(logger.store.assessedThrough()).toBe(events);
    expect(logger.store.stats().decisions.skipped).toBeUndefined();
    await logger.close();
  }, 120_000);
});
