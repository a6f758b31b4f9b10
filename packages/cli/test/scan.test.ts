import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DetectResult, detect, evaluate, type Io, simulate, train } from '../src/index.js';

function capture(extra: Partial<Io> = {}): Io & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (l) => lines.push(l),
    err: (l) => errors.push(l),
    interactive: false,
    ...extra,
  };
}

/** A deterministic shuffle. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'harombe-scan-'));
const history = join(dir, 'history.jsonl');
const live = join(dir, 'live.jsonl');
const store = join(dir, 'models');
const base = { store, contamination: 0.01, strict: false } as const;

async function results(events: string, io = capture()): Promise<DetectResult[]> {
  await detect({ ...base, events, format: 'jsonl' }, io);
  return io.lines.map((line) => JSON.parse(line) as DetectResult);
}

/** Verdicts keyed by what the event is, not where it stood in its file. */
const verdicts = (list: DetectResult[]) =>
  list
    .map((r) => `${r.agentId} ${r.timestamp} ${r.eventType} ${r.toolName} ${r.threatLevel} ${r.threatScore}`)
    .sort();

beforeAll(async () => {
  simulate({ seed: 3, agents: 8, historyDays: 14, liveDays: 4, history, live }, capture());
  await train({ events: history, store, contamination: 0.01, strict: false }, capture());
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('detect and eval: order independence', () => {
  it('a reversed, a shuffled and a sorted file give the same verdicts and metrics', async () => {
    const lines = readFileSync(live, 'utf8').trimEnd().split('\n');
    const reversed = join(dir, 'reversed.jsonl');
    const mixed = join(dir, 'shuffled.jsonl');
    writeFileSync(reversed, `${[...lines].reverse().join('\n')}\n`);
    writeFileSync(mixed, `${shuffled(lines, 11).join('\n')}\n`);
    const sorted = await results(live);
    expect(sorted.some((r) => r.isThreat)).toBe(true);
    expect(verdicts(await results(reversed))).toEqual(verdicts(sorted));
    expect(verdicts(await results(mixed))).toEqual(verdicts(sorted));
    // Results come in event time; `line` points back into the input.
    const fromReversed = await results(reversed);
    const times = fromReversed.map((r) => Date.parse(r.timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(Date.parse(JSON.parse(lines[lines.length - fromReversed[0]!.line]!).timestamp)).toBe(
      Date.parse(fromReversed[0]!.timestamp),
    );
    const metrics = await evaluate({ ...base, events: live }, capture());
    expect(await evaluate({ ...base, events: mixed }, capture())).toEqual(metrics);
    expect(metrics.auc).toBeGreaterThan(0.95);
  }, 120_000);

  it('re-scanning the training log flags about the contamination rate (<= 3%), not everything', async () => {
    const scanned = await results(history);
    const flagged = scanned.filter((r) => r.isThreat).length / scanned.length;
    expect(scanned.length).toBe(readFileSync(history, 'utf8').trimEnd().split('\n').length);
    expect(flagged).toBeLessThanOrEqual(0.03);
  }, 120_000);

  it('results carry the event context (event type, tool, destination or path, line) and the label', async () => {
    const first = (await results(live)).find((r) => r.toolName !== undefined)!;
    expect(first).toMatchObject({ coldStart: false });
    expect(['current', 'late', 'ahead']).toContain(first.eventTime);
    expect(typeof first.eventType).toBe('string');
    expect(typeof first.label).toBe('string');
    expect(first.line).toBeGreaterThan(0);
  }, 60_000);
});

describe('agents without a model', () => {
  const stranger = join(dir, 'stranger.jsonl');
  beforeAll(() => {
    const lines = readFileSync(live, 'utf8').trimEnd().split('\n').slice(0, 40);
    writeFileSync(
      stranger,
      `${lines.map((l) => JSON.stringify({ ...JSON.parse(l), agent_id: 'new-agent' })).join('\n')}\n`,
    );
  });

  it('are scored by the fleet model that train saved, marked cold start, and said so on stderr', async () => {
    const io = capture();
    const scored = await results(stranger, io);
    expect(scored).toHaveLength(40);
    for (const r of scored) expect(r).toMatchObject({ agentId: 'new-agent', coldStart: true });
    expect(scored[0]!.explanation).toContain('fleet model');
    expect(io.errors).toContain(
      'harombe-ml: no model for agent new-agent: scored by the fleet model (coldStart: true)',
    );
  });

  it('without a fleet model: fail (default, exit 1), warn (listed, not scored) or skip (left out, counted)', async () => {
    const empty = join(dir, 'empty-store');
    mkdirSync(empty, { recursive: true });
    const options = { ...base, store: empty, events: stranger, format: 'jsonl' } as const;
    await expect(detect(options, capture())).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringContaining('no model for agent new-agent, and'),
    });
    const warned = capture();
    await detect({ ...options, unknownAgents: 'warn' }, warned);
    expect(warned.lines).toHaveLength(40);
    expect(JSON.parse(warned.lines[0]!)).toMatchObject({ coldStart: true, isThreat: false, threatScore: 0 });
    expect(JSON.parse(warned.lines[0]!).explanation).toContain('not scored');
    const skipped = capture();
    await detect({ ...options, unknownAgents: 'skip' }, skipped);
    expect(skipped.lines).toEqual([]);
    expect(skipped.errors).toContain(
      'harombe-ml: skipped 40 events of agents without a model (--unknown-agents skip)',
    );
  });
});

describe('progress', () => {
  it('writes a plain line on stderr every progressEveryMs when not on a terminal, and a final one', async () => {
    let clock = 0;
    const io = capture({ now: () => (clock += 1000), progressEveryMs: 10_000 });
    await detect({ ...base, events: live, format: 'jsonl' }, io);
    const lines = io.errors.filter((l) => l.startsWith('harombe-ml detect: '));
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.at(-1)).toMatch(/^harombe-ml detect: [\d,]+ events of [\d,]+ \(100%\), \d+ s$/);
    // At the default pace (10 s of a real clock) a short run writes none.
    const quiet = capture();
    await detect({ ...base, events: live, format: 'jsonl' }, quiet);
    expect(quiet.errors.filter((l) => l.startsWith('harombe-ml detect: '))).toEqual([]);
    const trained = capture({ now: () => (clock += 20_000) });
    await train({ events: history, store: join(dir, 'again'), contamination: 0.01, strict: false }, trained);
    expect(trained.errors.some((l) => /^harombe-ml train: \d+ agents of 8/.test(l))).toBe(true);
    expect(trained.errors.some((l) => /^harombe-ml train: reading: [\d,]+ events/.test(l))).toBe(true);
  }, 120_000);
});

describe('detect --events - (a stream)', () => {
  const bin = ['--import', 'tsx', join(import.meta.dirname, '../src/bin.ts')];

  it('prints the first result before its input ends (a slow writer), in event time', async () => {
    const lines = readFileSync(live, 'utf8').trimEnd().split('\n').slice(0, 400);
    const child = spawn(process.execPath, [
      ...bin,
      'detect',
      '--events',
      '-',
      '--store',
      store,
      '--format',
      'jsonl',
    ]);
    // All but the last lines, slowly; then the input stays open until the first result arrives: a
    // CLI that waits for the end of its input prints nothing, and the test runs out of time (the
    // process ending without a result fails it at once). No clock of ours: a loaded machine may take
    // seconds to start the process and load the models.
    let gotFirst = false;
    const firstResult = new Promise<void>((resolve) =>
      child.stdout.once('data', () => {
        gotFirst = true;
        resolve();
      }),
    );
    const held = lines.slice(-20);
    for (const [i, line] of lines.slice(0, -20).entries()) {
      child.stdin.write(`${line}\n`);
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 50));
    }
    const ended = new Promise<void>((resolve) => child.once('close', () => resolve()));
    await Promise.race([firstResult, ended]);
    expect(gotFirst).toBe(true);
    const writer = (async () => {
      for (const line of held) child.stdin.write(`${line}\n`);
      child.stdin.end();
    })();
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    await writer;
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(out.length).toBeGreaterThan(0);
  }, 120_000);

  it('keeps memory bounded whatever the input size: a file is sorted on disk and streamed, not held', async () => {
    // The live period repeated, each copy five days later, to 100,000 events (about 32 MB), read by
    // a process allowed a 60 MB heap: the CLI needs about 40 MB whatever the file's size, while one
    // that holds every parsed event (as it once did: 1.45 GB for a 226 MB file) exhausts it here.
    const lines = readFileSync(live, 'utf8').trimEnd().split('\n');
    const span = 5 * 86_400_000;
    const big = join(dir, 'big.jsonl');
    const copies: string[] = [];
    for (let copy = 0; copies.length < 100_000; copy++)
      for (const line of lines) {
        const event = JSON.parse(line) as { timestamp: string };
        copies.push(
          JSON.stringify({ ...event, timestamp: new Date(Date.parse(event.timestamp) + copy * span) }),
        );
      }
    writeFileSync(big, `${copies.join('\n')}\n`);
    const child = spawn(process.execPath, [
      '--max-old-space-size=60',
      ...bin,
      'detect',
      '--events',
      big,
      '--store',
      store,
      '--format',
      'jsonl',
    ]);
    let results = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 10) results++;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).not.toContain('heap out of memory');
    expect(code).toBe(0);
    expect(results).toBe(copies.length);
  }, 120_000);
});
