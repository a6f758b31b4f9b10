// The fuzzing harness: classifies each call (ok, typed error, untyped error, bad result; slow),
// runs a slice of an entry point's inputs, and groups what it finds into reproducers. The child
// processes of `pnpm fuzz` and the vitest slice both run this code; only the sink they report to differs.
import { types } from 'node:util';
import { HarombeError } from '@harombe/models';
import { FuzzRandom } from './random.js';
import { summarize } from './summarize.js';
import { isThrownByInput } from './values.js';

/** One call's arguments, with a note on what was done to them when the values cannot say it. */
export interface FuzzInput {
  readonly args: readonly unknown[];
  readonly note?: string;
}

/** An entry point opened for fuzzing: its state (trained models, a temp dir), its inputs, its call. */
export interface FuzzSession {
  /** The inputs of call `index`, from that call's own random stream. Not timed. */
  input(random: FuzzRandom, index: number): FuzzInput | Promise<FuzzInput>;
  /** The call under test. Timed; may return a promise. */
  call(input: FuzzInput): unknown;
  /** What is wrong with a returned value (NaN score, score out of [0, 1], ...), else undefined. */
  check?(result: unknown): string | undefined;
  /** Entry points documented never to throw (`safeParse`): any throw at all is untyped. */
  readonly neverThrows?: boolean;
  close?(): Promise<void> | void;
}

export interface FuzzTarget {
  /** The entry point, as the table and reproducers name it. */
  readonly name: string;
  /** Share of the run's inputs (relative to the other entry points' weights). */
  readonly weight: number;
  open(): Promise<FuzzSession>;
}

/** `bad`: returned normally, but a value the contract rules out. `hung`: killed at the hard cap. */
export type Outcome = 'ok' | 'typed' | 'untyped' | 'bad' | 'hung';

export interface ErrorInfo {
  readonly name: string;
  readonly message: string;
  /** The innermost stack frame. */
  readonly frame: string;
  /** The innermost frame in the repository's packages or apps, when it is not `frame`. */
  readonly repoFrame?: string;
  readonly stack?: string;
  /** The value a getter or proxy trap of the input threw, let through by the call. */
  readonly fromInput?: boolean;
}

export interface Classified {
  readonly outcome: Outcome;
  readonly ms: number;
  readonly slow: boolean;
  readonly error?: ErrorInfo;
  /** For `bad`: what is wrong with the result. */
  readonly problem?: string;
}

export interface ClassifyOptions {
  /** A call taking longer than this (ms) is slow. */
  readonly slowMs: number;
  readonly now?: () => number;
  readonly check?: (result: unknown) => string | undefined;
  readonly neverThrows?: boolean;
  /** Describe every error, typed ones too (replays). */
  readonly details?: boolean;
}

function safely<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** `instanceof` that runs no code of the value's: on a proxy it would run its getPrototypeOf trap. */
function isInstance(value: unknown, type: abstract new (...args: never[]) => unknown): boolean {
  return !types.isProxy(value) && safely(() => value instanceof type, false);
}

/** What a thrown value is, read defensively: a thrown value may be hostile itself. */
export function errorInfo(thrown: unknown): ErrorInfo {
  const fromInput = isThrownByInput(thrown) ? { fromInput: true } : {};
  if (!isInstance(thrown, Error) || !(thrown instanceof Error)) {
    const kind = thrown === null ? 'null' : types.isProxy(thrown) ? 'Proxy' : typeof thrown;
    const text = safely(
      () => (typeof thrown === 'symbol' ? thrown.toString() : String(thrown)),
      '<unprintable>',
    );
    return {
      name: `non-Error throw (${kind})`,
      message: text.slice(0, 300),
      frame: '(no stack)',
      ...fromInput,
    };
  }
  const name = safely(() => String(thrown.name), 'Error');
  const message = safely(() => String(thrown.message), '<unreadable message>');
  const stack = safely(() => String(thrown.stack ?? ''), '');
  const frames = stack
    .split('\n')
    .filter((line) => line.startsWith('    at '))
    .map((line) => line.trim().replace(/^at /, ''));
  const frame = frames[0] ?? '(no stack)';
  const repoFrame = frames.find((f) => /\/(packages|apps)\//.test(f) && !f.includes('node_modules'));
  return {
    name,
    message: message.slice(0, 500),
    frame,
    ...(repoFrame !== undefined && repoFrame !== frame ? { repoFrame } : {}),
    stack,
    ...fromInput,
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Runs `call` once and classifies it: returns normally -> ok (or bad, when `check` objects to the
 * result); throws a HarombeError -> typed; throws anything else -> untyped. Timed with `now`.
 */
export async function classify(call: () => unknown, options: ClassifyOptions): Promise<Classified> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  let result: unknown;
  let thrown: { error: unknown } | undefined;
  try {
    result = call();
    if (isThenable(result)) result = await result;
  } catch (error) {
    thrown = { error };
  }
  const ms = now() - started;
  const slow = ms > options.slowMs;
  if (thrown) {
    const typed = isInstance(thrown.error, HarombeError) && !options.neverThrows;
    // Formatting a stack (source-mapped) costs more than most calls: only for what gets reported.
    if (typed && !slow && !options.details) return { outcome: 'typed', ms, slow };
    return { outcome: typed ? 'typed' : 'untyped', ms, slow, error: errorInfo(thrown.error) };
  }
  const problem = options.check ? safely(() => options.check!(result), 'the result check threw') : undefined;
  return problem === undefined ? { outcome: 'ok', ms, slow } : { outcome: 'bad', ms, slow, problem };
}

/** Counts per entry point. `slow` calls are also counted under their outcome. */
export interface EntryStats {
  inputs: number;
  ok: number;
  typed: number;
  untyped: number;
  bad: number;
  hung: number;
  slow: number;
  slowestMs: number;
}

export function emptyStats(): EntryStats {
  return { inputs: 0, ok: 0, typed: 0, untyped: 0, bad: 0, hung: 0, slow: 0, slowestMs: 0 };
}

export function addStats(into: EntryStats, from: EntryStats): void {
  into.inputs += from.inputs;
  into.ok += from.ok;
  into.typed += from.typed;
  into.untyped += from.untyped;
  into.bad += from.bad;
  into.hung += from.hung;
  into.slow += from.slow;
  into.slowestMs = Math.max(into.slowestMs, from.slowestMs);
}

export type FindingKind = 'untyped' | 'bad' | 'slow';

/** One problem call, described well enough to rebuild it (`--replay entry#index`). */
export interface Finding {
  readonly entry: string;
  readonly kind: FindingKind;
  readonly index: number;
  readonly ms: number;
  /** The call as a short printout of its arguments. */
  readonly input: string;
  readonly error?: ErrorInfo;
  readonly problem?: string;
}

/** Findings that share a cause (kind, error and where it was thrown), with their best reproducer. */
export interface FindingGroup {
  readonly signature: string;
  count: number;
  /** The shortest reproducer (the slowest, for slow calls). */
  example: Finding;
}

/** Groups findings by kind, error name, message shape and the frame that threw. */
export function signatureOf(finding: Finding): string {
  const shape = (text: string) =>
    text
      .replace(/"[^"]*"|'[^']*'/g, '"…"')
      .replace(/\d+(\.\d+)?/g, 'N')
      .slice(0, 160);
  // The input's own exceptions carry the stack of the generator that made them, not of the call:
  // one group per entry point (the reproducers show which input containers let them through).
  if (finding.error?.fromInput) return `${finding.entry} | ${finding.kind} | the input's own exception`;
  const where = finding.error
    ? (finding.error.repoFrame ?? finding.error.frame).replace(/:\d+:\d+\)?$/, '')
    : '';
  const what = finding.error
    ? `${finding.error.name}: ${shape(finding.error.message)}`
    : shape(finding.problem ?? '');
  return `${finding.entry} | ${finding.kind} | ${what} | ${where}`;
}

/** Where a run's counts and findings go: kept in memory (tests, replays) or sent from a child process. */
export interface Sink {
  /** Called before each call, so a watchdog can tell which input hung. */
  progress(index: number): void;
  record(index: number, result: Classified): void;
  finding(finding: Finding): void;
}

/** The in-memory sink: counts and grouped findings. */
export class Tally implements Sink {
  readonly stats = emptyStats();
  readonly groups = new Map<string, FindingGroup>();

  progress(): void {}

  record(_index: number, result: Classified): void {
    this.stats.inputs++;
    this.stats[result.outcome]++;
    if (result.slow) this.stats.slow++;
    this.stats.slowestMs = Math.max(this.stats.slowestMs, result.ms);
  }

  finding(finding: Finding): void {
    const signature = signatureOf(finding);
    const group = this.groups.get(signature);
    if (!group) {
      this.groups.set(signature, { signature, count: 1, example: finding });
      return;
    }
    group.count++;
    const better =
      finding.kind === 'slow'
        ? finding.ms > group.example.ms
        : finding.input.length < group.example.input.length;
    if (better) group.example = finding;
  }
}

export interface SliceOptions {
  readonly seed: number;
  readonly from: number;
  readonly to: number;
  readonly slowMs: number;
}

/** The printout of one call: `entry(arg, arg) [note]`. */
export function describeCall(entry: string, input: FuzzInput): string {
  const args = input.args.map((arg) => summarize(arg)).join(', ');
  return `${entry}(${args})${input.note ? ` [${input.note}]` : ''}`;
}

/** Runs inputs `from` to `to` (exclusive) of `target` through `session`, reporting to `sink`. */
export async function runSlice(
  target: FuzzTarget,
  session: FuzzSession,
  options: SliceOptions,
  sink: Sink,
): Promise<void> {
  for (let index = options.from; index < options.to; index++) {
    const random = new FuzzRandom(options.seed, target.name, index);
    const input = await session.input(random, index);
    sink.progress(index);
    const result = await classify(() => session.call(input), {
      slowMs: options.slowMs,
      ...(session.check ? { check: session.check } : {}),
      ...(session.neverThrows ? { neverThrows: true } : {}),
    });
    sink.record(index, result);
    const kinds: FindingKind[] = [];
    if (result.outcome === 'untyped' || result.outcome === 'bad') kinds.push(result.outcome);
    if (result.slow) kinds.push('slow');
    if (kinds.length > 0) {
      const printed = describeCall(target.name, input);
      for (const kind of kinds) {
        sink.finding({
          entry: target.name,
          kind,
          index,
          ms: result.ms,
          input: printed,
          ...(result.error ? { error: result.error } : {}),
          ...(result.problem ? { problem: result.problem } : {}),
        });
      }
    }
    // Let timers and background work of the code under test run (and fail) near the input behind it.
    if (index % 256 === 255) await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Splits `total` inputs over the entry points by weight (largest remainders), in their order. */
export function plan(targets: readonly FuzzTarget[], total: number): number[] {
  const weights = targets.reduce((sum, t) => sum + t.weight, 0);
  const exact = targets.map((t) => (total * t.weight) / weights);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => ({ i, rest: x - Math.floor(x) }))
    .sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (left-- <= 0) break;
    counts[i]!++;
  }
  return counts;
}
