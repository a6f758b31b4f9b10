import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CliError, demo, detect, evaluate, type Io, report, simulate, train } from '../src/index.js';

const run = promisify(execFile);

function capture(): Io & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), interactive: false };
}

const temp = () => mkdtempSync(join(tmpdir(), 'harombe-cli-'));

describe('harombe-ml demo', () => {
  it('simulates, trains, persists, streams with feedback, summarises and writes the report', async () => {
    const home = join(temp(), '.harombe');
    const io = capture();
    const results = await demo(
      { seed: 7, agents: 12, historyDays: 28, liveDays: 7, home, contamination: 0.01 },
      io,
    );
    for (const scenario of results.scenarios)
      expect(scenario.recall, scenario.label).toBeGreaterThanOrEqual(0.9);
    expect(results.scenarios.length).toBe(7);
    expect(results.normal.rate).toBeLessThanOrEqual(0.02);
    expect(results.benign.feedbackGiven).toBe(true);
    expect(results.benign.flagged / results.benign.events).toBeLessThanOrEqual(0.2);
    const text = io.lines.join('\n');
    expect(text).toContain('false-positive rate');
    expect(text).toContain('recall');
    // Incidents, not one line per alert: each attack scenario of the demo is one incident.
    const incidents = text.match(/^incidents: (\d+) \((\d+) campaigns?; (\d+) opened by normal work only\)/m);
    expect(incidents).not.toBeNull();
    const filed = results.incidents!;
    const alerts = Object.values(results.levels).reduce((a, b) => a + b, 0);
    expect(Number(incidents![1])).toBe(filed.length);
    expect(filed.length).toBeLessThan(alerts / 3);
    for (const scenario of results.scenarios.filter((s) => s.detected > 0))
      expect(
        filed.some((i) => i.labels.includes(scenario.label)),
        scenario.label,
      ).toBe(true);
    expect(text).toContain('identical assessments');
    expect(existsSync(join(home, 'models'))).toBe(true);
    const html = readFileSync(join(home, 'report.html'), 'utf8');
    expect(html).toContain('uPlot');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    // The report can be re-rendered from the results file.
    await report({ results: join(home, 'results.json'), out: join(home, 'again.html') }, io);
    expect(readFileSync(join(home, 'again.html'), 'utf8')).toBe(html);
  }, 120_000);
});

describe('simulate, train, detect, eval', () => {
  it('work together on JSONL files', async () => {
    const dir = temp();
    const io = capture();
    simulate(
      {
        seed: 3,
        agents: 8,
        historyDays: 14,
        liveDays: 5,
        history: join(dir, 'history.jsonl'),
        live: join(dir, 'live.jsonl'),
      },
      io,
    );
    const store = join(dir, 'models');
    await train({ events: join(dir, 'history.jsonl'), store, contamination: 0.01, strict: false }, io);
    expect(io.lines.filter((l) => l.includes('trained on')).length).toBe(8);
    const detected = capture();
    await detect(
      { events: join(dir, 'live.jsonl'), store, format: 'jsonl', contamination: 0.01, strict: false },
      detected,
    );
    const first = JSON.parse(detected.lines[0]!);
    expect(first).toMatchObject({ line: 1, coldStart: false });
    expect(typeof first.threatScore).toBe('number');
    const metrics = await evaluate(
      { events: join(dir, 'live.jsonl'), store, contamination: 0.01, strict: false },
      capture(),
    );
    expect(metrics.auc).toBeGreaterThan(0.9);
    expect(metrics.recall).toBeGreaterThan(0.8);
  }, 120_000);

  it('simulates the realistic regime, and eval reports each label apart (recall per attack, normal flagged)', async () => {
    const dir = temp();
    const [history, live] = [join(dir, 'history.jsonl'), join(dir, 'live.jsonl')];
    simulate(
      { seed: 2, agents: 6, historyDays: 14, liveDays: 4, regime: 'realistic', history, live },
      capture(),
    );
    const labels = new Set(
      readFileSync(live, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as { label: string }).label),
    );
    // The realistic attack classes, not the classic scenarios.
    expect(labels).toContain('spread-exfil');
    expect(labels).toContain('secret-read');
    expect(labels).not.toContain('call-burst');
    const store = join(dir, 'models');
    await train({ events: history, store, contamination: 0.01, strict: false }, capture());
    const io = capture();
    const metrics = await evaluate({ events: live, store, contamination: 0.01, strict: false }, io);
    expect(Object.keys(metrics.byLabel).sort()).toEqual([...labels].sort());
    const { events, flagged } = metrics.byLabel['secret-read']!;
    expect(io.lines).toContain(
      `  ${'secret-read'.padEnd(Math.max(...[...labels].map((l) => l.length)))}  ${String(flagged).padStart(6)} of ${String(events).padEnd(6)} flagged (${((100 * flagged) / events).toFixed(1)}%)`,
    );
    const normal = metrics.byLabel.normal!;
    expect(normal.flagged / normal.events).toBeLessThan(0.05);
    expect(io.lines.at(-1)).toMatch(/^ {2}normal +\d+ of \d+ +flagged/);
  }, 120_000);

  it('skips bad lines with their line numbers, or fails on them with --strict', async () => {
    const dir = temp();
    const file = join(dir, 'events.jsonl');
    const good = { timestamp: '2026-03-01T10:00:00Z', event_type: 'tool_call', agent_id: 'a' };
    writeFileSync(
      file,
      `${JSON.stringify(good)}\n{not json\n${JSON.stringify({ ...good, duration_ms: -5 })}\n`,
    );
    const io = capture();
    mkdirSync(join(dir, 'models')); // a store, empty: every agent a cold start
    await detect(
      {
        events: file,
        store: join(dir, 'models'),
        format: 'table',
        contamination: 0.01,
        strict: false,
        unknownAgents: 'warn',
      },
      io,
    );
    expect(io.errors.join('\n')).toContain(`${file}:2: not valid JSON`);
    expect(io.errors.join('\n')).toContain(
      `${file}:3: event.duration_ms: expected a finite number >= 0, received -5`,
    );
    expect(io.errors.join('\n')).toContain('skipped 2 bad lines');
    expect(io.errors.join('\n')).toContain(
      'no model for agent a: no fleet model either: its events are listed as not scored (--unknown-agents warn)',
    );
    await expect(
      detect(
        { events: file, store: join(dir, 'models'), format: 'table', contamination: 0.01, strict: true },
        capture(),
      ),
    ).rejects.toThrow(`${file}:2: not valid JSON`);
  });

  it('reports a missing file as a CliError', async () => {
    await expect(
      train({ events: '/no/such/file.jsonl', store: temp(), contamination: 0.01, strict: false }, capture()),
    ).rejects.toBeInstanceOf(CliError);
  });
});

describe('the harombe-ml executable', () => {
  const bin = ['--import', 'tsx', join(import.meta.dirname, '../src/bin.ts')];
  const exec = (args: string[]) =>
    run(process.execPath, [...bin, ...args]).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        stdout: error.stdout,
        stderr: error.stderr,
      }),
    );

  it('prints its version (the package version) and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '../package.json'), 'utf8'));
    const result = await exec(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  }, 60_000);

  it('prints help for every command and exits 0', async () => {
    for (const command of [[], ['demo'], ['simulate'], ['train'], ['detect'], ['eval'], ['report']]) {
      const result = await exec([...command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage: harombe-ml');
    }
  }, 60_000);

  it('exits 2 on usage errors and 1 with a one-line message on bad input, never a stack trace', async () => {
    const usage = await exec(['detect']);
    expect(usage.code).toBe(2);
    const missing = await exec(['detect', '--events', '/no/such/file.jsonl']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('harombe-ml: cannot read /no/such/file.jsonl: no such file');
    expect(missing.stderr).not.toContain('    at ');
    // A store that does not exist (a typo) is an error, not a fleet of cold starts.
    const dir = temp();
    const events = join(dir, 'events.jsonl');
    writeFileSync(events, `${JSON.stringify({ agent_id: 'a', timestamp: 0, event_type: 'tool_call' })}\n`);
    const typo = await exec(['detect', '--events', events, '--store', join(dir, 'modles')]);
    expect(typo.code).toBe(1);
    expect(typo.stderr.trim()).toBe(
      `harombe-ml: model store ${join(dir, 'modles')} does not exist (train first, or check --store)`,
    );
  }, 60_000);

  it('stops quietly, exit 0, when the reader of its output goes away (detect ... | head)', async () => {
    const dir = temp();
    const live = join(dir, 'live.jsonl');
    simulate(
      { seed: 3, agents: 8, historyDays: 3, liveDays: 3, history: join(dir, 'history.jsonl'), live },
      capture(),
    );
    const store = join(dir, 'models');
    mkdirSync(store);
    const child = spawn(process.execPath, [
      ...bin,
      'detect',
      '--events',
      live,
      '--store',
      store,
      '--format',
      'jsonl',
      '--unknown-agents',
      'warn',
    ]);
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdout.once('data', () => child.stdout.destroy()); // as `head` does: read a little, close the pipe
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).not.toContain('    at ');
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  }, 60_000);
});
