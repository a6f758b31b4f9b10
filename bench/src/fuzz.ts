// `pnpm fuzz`: hostile inputs through every public entry point, with a fixed seed. Each call is ok,
// a typed error (a HarombeError) or an untyped one (anything else: TypeError, RangeError, a thrown
// string); a call over 1 s is slow. Exits 1 on any untyped error, bad result or slow call.
//
//   --seed N (HAROMBE_FUZZ_SEED, default 20)        --inputs N (HAROMBE_FUZZ_INPUTS, default 100,000)
//   --only name,name   fuzz only these entry points  --cap-ms N  kill a call after N ms (default 10,000)
//   --replay 'entry#index'  run one input in this process and print everything about it
//   --list             the entry points and their share of the inputs
//
// Entry points run one after the other, each in a child process: a call stuck past the cap is killed
// with its process, counted as slow, and the run goes on from the next input in a fresh process; a
// process that dies (out of memory, a native crash) is an untyped finding, and the run goes on too.
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './datasets.js';
import { type ChildJob, type ChildMessage, COUNTER_FIELDS, readState, STATE_BYTES } from './fuzz/child.js';
import {
  addStats,
  classify,
  describeCall,
  type EntryStats,
  emptyStats,
  type Finding,
  type FindingGroup,
  type FuzzTarget,
  plan,
  Tally,
} from './fuzz/harness.js';
import { FuzzRandom } from './fuzz/random.js';
import { LONG, summarize } from './fuzz/summarize.js';
import { TARGETS } from './fuzz/targets.js';

const DEFAULT_SEED = 20;
const DEFAULT_INPUTS = 100_000;
/** Issue #20's bar: no call over one second. */
const SLOW_MS = 1000;
const DEFAULT_CAP_MS = 10_000;
/** Opening a session trains models and writes files: generous, but a hang there must end too. */
const SETUP_CAP_MS = 120_000;
/** The children's state files. */
const stateDirectory = mkdtempSync(join(tmpdir(), 'harombe-fuzz-'));
process.on('exit', () => rmSync(stateDirectory, { recursive: true, force: true }));

interface Args {
  seed: number;
  inputs: number;
  capMs: number;
  only: string[] | undefined;
  replay: string | undefined;
  list: boolean;
}

function integer(name: string, text: string | undefined, fallback: number, max = 2 ** 32 - 1): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0 || n > max) {
    console.error(`fuzz: ${name} must be an integer in [0, ${max}], got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}

function parseArgs(argv: readonly string[]): Args {
  const flags = new Map<string, string>();
  const list = argv.includes('--list');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--list' || arg === '--') continue;
    const [name, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!['--seed', '--inputs', '--only', '--replay', '--cap-ms'].includes(name)) {
      console.error(`fuzz: unknown argument ${arg}`);
      process.exit(2);
    }
    flags.set(name, inline ?? argv[++i] ?? '');
  }
  const only = flags
    .get('--only')
    ?.split(',')
    .map((s) => s.trim());
  for (const name of only ?? []) {
    if (!TARGETS.some((t) => t.name === name)) {
      console.error(`fuzz: no entry point ${JSON.stringify(name)} (see --list)`);
      process.exit(2);
    }
  }
  return {
    seed: integer('--seed', flags.get('--seed') ?? process.env.HAROMBE_FUZZ_SEED, DEFAULT_SEED),
    inputs: integer(
      '--inputs',
      flags.get('--inputs') ?? process.env.HAROMBE_FUZZ_INPUTS,
      DEFAULT_INPUTS,
      1e9,
    ),
    capMs: integer('--cap-ms', flags.get('--cap-ms'), DEFAULT_CAP_MS, 3_600_000),
    only,
    replay: flags.get('--replay'),
    list,
  };
}

/** Paths in stack frames, relative to the repository. */
function relative(text: string): string {
  return text.replaceAll(`file://${repoRoot}/`, '').replaceAll(`${repoRoot}/`, '');
}

/** The printout of input `index` of `target`, rebuilt in this process (after its child was killed). */
async function describeInput(target: FuzzTarget, seed: number, index: number): Promise<string> {
  const session = await target.open();
  try {
    return describeCall(target.name, await session.input(new FuzzRandom(seed, target.name, index), index));
  } finally {
    await session.close?.();
  }
}

interface ChildRun {
  readonly stats: EntryStats;
  /** Set when the child did not finish: the input it was in, and why it stopped. */
  readonly stopped?: {
    readonly index: number;
    readonly reason: 'hung' | 'crashed';
    readonly message: string;
  };
}

const CHILD = fileURLToPath(new URL('./fuzz/child.ts', import.meta.url));

/** Runs inputs [from, to) of one entry point in a child process, watching for calls stuck past `capMs`. */
function runChild(
  entry: string,
  args: Args,
  from: number,
  to: number,
  onFinding: (f: Finding) => void,
): Promise<ChildRun> {
  const stateFile = join(stateDirectory, `${from}.state`);
  const initial = Buffer.alloc(STATE_BYTES);
  initial.writeInt32LE(-1);
  writeFileSync(stateFile, initial);
  const job: ChildJob = { entry, seed: args.seed, from, to, slowMs: SLOW_MS, stateFile };
  const child = fork(CHILD, [], {
    execArgv: [...process.execArgv, '--max-old-space-size=4096'],
    env: { ...process.env, HAROMBE_FUZZ_JOB: JSON.stringify(job) },
    // What the code under test prints goes to stderr: stdout carries the report.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.pipe(process.stderr);
  child.stderr?.pipe(process.stderr);
  const state = () => readState(readFileSync(stateFile));
  const stats = (): EntryStats => {
    const s = emptyStats();
    const { counters } = state();
    COUNTER_FIELDS.forEach((field, i) => {
      s[field] = counters[i]!;
    });
    return s;
  };
  return new Promise((resolve, reject) => {
    let last = -2;
    let since = performance.now();
    let settled = false;
    const finish = (run: ChildRun | Error) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      child.kill('SIGKILL');
      if (run instanceof Error) reject(run);
      else resolve(run);
    };
    const watchdog = setInterval(() => {
      const { index } = state();
      const now = performance.now();
      if (index !== last) {
        last = index;
        since = now;
        return;
      }
      const cap = index < 0 ? SETUP_CAP_MS : args.capMs;
      if (now - since <= cap) return;
      if (index < 0) finish(new Error(`${entry}: opening the session took over ${SETUP_CAP_MS} ms`));
      else
        finish({
          stats: stats(),
          stopped: {
            index,
            reason: 'hung',
            message: `no return within ${args.capMs} ms: the process was killed`,
          },
        });
    }, 100);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'finding') onFinding(message.finding);
      else if (message.type === 'done') finish({ stats: stats() });
      else finish(new Error(`${entry}: the harness failed: ${message.message}`));
    });
    child.on('exit', (code, signal) => {
      const { index } = state();
      const message = `the process ended (${signal ?? `exit code ${code}`}) in the call`;
      if (index < 0) finish(new Error(`${entry}: the child died while opening the session: ${message}`));
      else finish({ stats: stats(), stopped: { index, reason: 'crashed', message } });
    });
  });
}

/** Every input of one entry point, in as many child processes as kills and crashes make necessary. */
async function runEntry(target: FuzzTarget, count: number, args: Args): Promise<Tally> {
  const tally = new Tally();
  let from = 0;
  while (from < count) {
    const run = await runChild(target.name, args, from, count, (finding) => tally.finding(finding));
    addStats(tally.stats, run.stats);
    if (!run.stopped) break;
    const { index, reason, message } = run.stopped;
    // The input the child was in when it stopped: not counted by the child, so counted here.
    const killed = reason === 'hung';
    addStats(tally.stats, {
      ...emptyStats(),
      inputs: 1,
      hung: killed ? 1 : 0,
      untyped: killed ? 0 : 1,
      slow: killed ? 1 : 0,
      slowestMs: killed ? args.capMs : 0,
    });
    tally.finding({
      entry: target.name,
      kind: killed ? 'slow' : 'untyped',
      index,
      ms: killed ? args.capMs : 0,
      input: await describeInput(target, args.seed, index),
      error: { name: killed ? 'killed' : 'process died', message, frame: '(no stack)' },
    });
    from = index + 1;
  }
  return tally;
}

function table(rows: readonly { name: string; stats: EntryStats }[]): string {
  const header = ['entry point', 'inputs', 'ok', 'typed', 'untyped', 'bad', 'slow', 'slowest ms'];
  const lines = rows.map(({ name, stats: s }) => [
    name,
    String(s.inputs),
    String(s.ok),
    String(s.typed),
    String(s.untyped),
    String(s.bad),
    s.hung > 0 ? `${s.slow} (${s.hung} killed)` : String(s.slow),
    s.hung > 0 ? `>${s.slowestMs.toFixed(0)}` : s.slowestMs.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [format(header), ...lines.map(format)].join('\n');
}

function printFinding(group: FindingGroup, seed: number): void {
  const f = group.example;
  const times = group.count > 1 ? ` (${group.count} inputs)` : '';
  console.log(`\n${f.kind.toUpperCase()}  ${f.entry}${times}`);
  console.log(`  input #${f.index}: ${f.input}`);
  if (f.error) {
    console.log(`  error: ${f.error.name}: ${f.error.message}`);
    if (f.error.fromInput) {
      console.log(
        "  (the input's own exception: its getter or proxy trap threw it, and the call let it through)",
      );
    } else {
      console.log(`  at: ${relative(f.error.frame)}`);
    }
    if (f.error.repoFrame) console.log(`  first repository frame: ${relative(f.error.repoFrame)}`);
  }
  if (f.problem) console.log(`  result: ${f.problem}`);
  console.log(
    `  took ${f.ms.toFixed(1)} ms; replay: pnpm fuzz --seed ${seed} --replay '${f.entry}#${f.index}'`,
  );
}

/** Runs one input in this process and prints it, its outcome and the whole stack. */
async function replay(spec: string, args: Args): Promise<number> {
  const at = spec.lastIndexOf('#');
  const target = TARGETS.find((t) => t.name === spec.slice(0, at));
  const index = integer('--replay index', spec.slice(at + 1), -1);
  if (!target || at < 0) {
    console.error(
      `fuzz: --replay wants 'entry#index' with an entry point from --list, got ${JSON.stringify(spec)}`,
    );
    return 2;
  }
  const session = await target.open();
  const input = await session.input(new FuzzRandom(args.seed, target.name, index), index);
  console.log(describeCall(target.name, input));
  for (const [i, arg] of input.args.entries())
    console.log(`  argument ${i}: ${summarize(arg, LONG, 20_000)}`);
  const result = await classify(() => session.call(input), {
    slowMs: SLOW_MS,
    details: true,
    ...(session.check ? { check: session.check } : {}),
    ...(session.neverThrows ? { neverThrows: true } : {}),
  });
  console.log(`outcome: ${result.outcome}${result.slow ? ' (slow)' : ''} in ${result.ms.toFixed(1)} ms`);
  if (result.problem) console.log(`result: ${result.problem}`);
  if (result.error)
    console.log(relative(result.error.stack || `${result.error.name}: ${result.error.message}`));
  console.log('(replayed on a fresh session: state left by earlier inputs of the run is not there)');
  await session.close?.();
  return result.outcome === 'untyped' || result.outcome === 'bad' || result.slow ? 1 : 0;
}

const args = parseArgs(process.argv.slice(2));
const targets = args.only ? TARGETS.filter((t) => args.only!.includes(t.name)) : TARGETS;
const counts = plan(targets, args.inputs);
if (args.list) {
  for (const [i, t] of targets.entries()) console.log(`${t.name.padEnd(40)} ${counts[i]} inputs`);
  process.exit(0);
}
if (args.replay !== undefined) process.exit(await replay(args.replay, args));

const started = performance.now();
const rows: { name: string; stats: EntryStats }[] = [];
const groups: FindingGroup[] = [];
console.error(`fuzz: seed ${args.seed}, ${args.inputs} inputs over ${targets.length} entry points`);
for (const [i, target] of targets.entries()) {
  const entryStarted = performance.now();
  const tally = await runEntry(target, counts[i]!, args).catch((error: Error) => {
    // The harness failed (a session that does not open, an input generator that throws): not a
    // finding about the code under test, and no result can be given.
    console.error(`fuzz: ${relative(error.message)}`);
    process.exit(2);
  });
  rows.push({ name: target.name, stats: tally.stats });
  groups.push(...tally.groups.values());
  console.error(
    `  ${target.name.padEnd(40)} ${String(tally.stats.inputs).padStart(7)} inputs  ${((performance.now() - entryStarted) / 1000).toFixed(1).padStart(6)} s`,
  );
}
const total = emptyStats();
for (const row of rows) addStats(total, row.stats);
rows.push({ name: 'total', stats: total });

console.log(table(rows));
const order = { untyped: 0, bad: 1, slow: 2 };
groups.sort((a, b) => order[a.example.kind] - order[b.example.kind] || b.count - a.count);
if (groups.length > 0)
  console.log(
    `\n${groups.length} distinct findings (one reproducer each, the shortest; the slowest for slow calls):`,
  );
for (const group of groups) printFinding(group, args.seed);
const failed = total.untyped + total.bad + total.slow > 0 || groups.length > 0;
const summary = {
  seed: args.seed,
  inputs: total.inputs,
  entryPoints: targets.length,
  ok: total.ok,
  typed: total.typed,
  untyped: total.untyped,
  bad: total.bad,
  slow: total.slow,
  killed: total.hung,
  slowestMs: Math.round(total.slowestMs * 10) / 10,
  findings: groups.length,
  seconds: Math.round((performance.now() - started) / 100) / 10,
  passed: !failed,
};
console.log(`\n${JSON.stringify(summary)}`);
process.exit(failed ? 1 : 0);
