import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { toJsonl } from '@harombe/agent-sim';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSince } from '../src/format.js';
import { fleet, tempDir } from './helpers.js';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', cli, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('harombe-audit --version', () => {
  it('prints the package version and exits 0', async () => {
    const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    const result = await run('--version');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  }, 60_000);
});

describe('harombe-audit', () => {
  let dir: string;
  let db: string;
  let models: string;
  beforeAll(async () => {
    dir = await tempDir();
    db = join(dir, 'audit.db');
    models = join(dir, 'models');
    await writeFile(join(dir, 'history.jsonl'), toJsonl(fleet.history, false));
    await writeFile(join(dir, 'live.jsonl'), toJsonl(fleet.live.slice(0, 1500), false));
    expect((await run('ingest', join(dir, 'history.jsonl'), '--db', db, '--no-detect')).stdout).toContain(
      `logged ${fleet.history.length} events`,
    );
  });

  it('trains every actor from the log', async () => {
    const { code, stdout } = await run('train', '--db', db, '--models', models);
    expect(code).toBe(0);
    for (const p of fleet.personas) expect(stdout).toContain(`${p.agentId}: trained`);
  });

  it('ingests live events with detection and lists, filters and takes feedback on alerts', async () => {
    const ingest = await run('ingest', join(dir, 'live.jsonl'), '--db', db, '--models', models);
    expect(ingest.code).toBe(0);
    const alertCount = Number(/; (\d+) alerts/.exec(ingest.stdout)?.[1]);
    expect(alertCount).toBeGreaterThan(0);

    const all = await run('alerts', '--db', db, '--limit', '100000', '--json');
    const alerts = all.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: number; threatLevel: string });
    expect(alerts.length).toBe(alertCount);
    const high = await run('alerts', '--db', db, '--level', 'high', '--limit', '100000', '--json');
    const highAlerts = high.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { threatLevel: string });
    expect(highAlerts.every((a) => a.threatLevel === 'high' || a.threatLevel === 'critical')).toBe(true);
    expect(highAlerts.length).toBeLessThanOrEqual(alerts.length);
    const future = await run('alerts', '--db', db, '--since', '2099-01-01');
    expect(future.stdout.trim()).toBe('0 alerts');

    const id = alerts[0]!.id;
    expect((await run('feedback', String(id), '--false-positive', '--db', db)).stdout).toContain(
      `alert #${id}: false positive`,
    );
    const listed = await run('alerts', '--db', db, '--status', 'false_positive');
    expect(listed.stdout).toContain(`#${id} `);

    const stats = JSON.parse((await run('stats', '--db', db)).stdout) as Record<string, unknown>;
    expect(stats).toMatchObject({ events: fleet.history.length + 1500, alerts: { false_positive: 1 } });
  });

  it('lists, filters, shows and resolves incidents', async () => {
    const listed = await run('incidents', '--db', db, '--limit', '1000', '--json');
    expect(listed.code).toBe(0);
    const incidents = listed.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as { id: string; agentIds: string[]; tailProbability: number; campaign: boolean },
      );
    expect(incidents.length).toBeGreaterThan(0);
    const tails = incidents.map((i) => i.tailProbability);
    expect(tails).toEqual([...tails].sort((a, b) => a - b));
    const top = incidents[0]!;
    const agent = top.agentIds[0]!;
    const ofAgent = await run('incidents', '--db', db, '--agent', agent, '--limit', '1000', '--json');
    const agentIds = ofAgent.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { agentIds: string[] }).agentIds);
    expect(agentIds.every((ids) => ids.includes(agent))).toBe(true);
    expect(
      (await run('incidents', '--db', db, '--campaign', '--json')).stdout.trim().split('\n').filter(Boolean)
        .length,
    ).toBe(incidents.filter((i) => i.campaign).length);
    expect((await run('incidents', '--db', db, '--limit', '1')).stdout).toContain('1 incident\n');

    const shown = await run('incidents', 'show', top.id, '--db', db);
    expect(shown.code).toBe(0);
    expect(shown.stdout.split('\n')[0]).toContain(top.id);
    expect(shown.stdout).toMatch(/\d+ alerts? stored/);

    const resolved = await run('incidents', 'resolve', top.id, '--normal', '--db', db);
    expect(resolved.stdout).toContain(`incident ${top.id}: resolved (normal)`);
    const detail = JSON.parse((await run('incidents', 'show', top.id, '--db', db, '--json')).stdout) as {
      incident: { status: string; resolution: string };
      alerts: Array<{ status: string }>;
    };
    expect(detail.incident).toMatchObject({ status: 'resolved', resolution: 'normal' });
    expect(detail.alerts.every((a) => a.status !== 'open')).toBe(true);
    expect((await run('incidents', '--db', db, '--status', 'resolved')).stdout).toContain(top.id);

    const conflicting = await run('incidents', 'resolve', top.id, '--normal', '--anomaly', '--db', db);
    expect(conflicting.code).toBe(2);
    expect((await run('incidents', 'show', 'nope', '--db', db)).stderr).toContain('no incident nope');
  });

  it('exits 2 on usage errors and 1 on failures, with a message', async () => {
    const noVerdict = await run('feedback', '1', '--db', db);
    expect(noVerdict.code).toBe(2);
    expect(noVerdict.stderr).toContain('give --false-positive or --confirmed');
    expect((await run('alerts', '--level', 'severe', '--db', db)).code).toBe(2);
    const missing = await run('alerts', '--db', join(dir, 'nope.db'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no audit database at');
    expect((await run('feedback', '999999', '--confirmed', '--db', db)).stderr).toContain('no alert #999999');
  });
});

describe('parseSince', () => {
  it('reads durations back from now and ISO dates', () => {
    const now = Date.UTC(2026, 10, 27, 12);
    expect(parseSince('24h', now).toISOString()).toBe('2026-11-26T12:00:00.000Z');
    expect(parseSince('7d', now).toISOString()).toBe('2026-11-20T12:00:00.000Z');
    expect(parseSince('2026-01-05T00:00:00Z').getTime()).toBe(Date.UTC(2026, 0, 5));
    expect(() => parseSince('yesterday')).toThrow(/ISO date or a duration/);
  });
});

describe('harombe-audit ingest in any order', () => {
  it('logs and assesses each agent’s events in event time: a reversed file gives the same alerts as the ordered one', async () => {
    const dir = await tempDir();
    const live = fleet.live.slice(0, 600);
    await writeFile(join(dir, 'history.jsonl'), toJsonl(fleet.history, false));
    await writeFile(join(dir, 'ordered.jsonl'), toJsonl(live, false));
    await writeFile(join(dir, 'reversed.jsonl'), toJsonl([...live].reverse(), false));
    const alertsOf = async (input: string) => {
      const db = join(dir, `${input}.db`);
      const models = join(dir, `${input}-models`);
      await run('ingest', join(dir, 'history.jsonl'), '--db', db, '--no-detect');
      expect((await run('train', '--db', db, '--models', models)).code).toBe(0);
      const ingest = await run('ingest', join(dir, `${input}.jsonl`), '--db', db, '--models', models);
      expect(ingest.code).toBe(0);
      const listed = await run('alerts', '--db', db, '--limit', '100000', '--json');
      return listed.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { eventId: string; threatLevel: string; threatScore: number })
        .map((a) => `${a.eventId} ${a.threatLevel} ${a.threatScore.toFixed(6)}`)
        .sort();
    };
    const ordered = await alertsOf('ordered');
    expect(ordered.length).toBeGreaterThan(0);
    expect(await alertsOf('reversed')).toEqual(ordered);
  }, 180_000);
});
