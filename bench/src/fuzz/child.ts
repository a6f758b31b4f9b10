// One child process fuzzes one slice of one entry point. A process, not a worker thread: an input
// that exhausts the heap, or crashes native code, must take down only its own run. The call in
// progress and the counts go to a small state file after every call (a shared buffer cannot cross
// processes), findings go over IPC as they happen, so when the parent kills a child stuck in a call,
// or the child dies, everything before that call is already reported.
import { closeSync, openSync, writeSync } from 'node:fs';
import { type Classified, errorInfo, type Finding, runSlice, type Sink } from './harness.js';
import { TARGETS } from './targets.js';

/** What the parent passes (as JSON in HAROMBE_FUZZ_JOB). */
export interface ChildJob {
  readonly entry: string;
  readonly seed: number;
  readonly from: number;
  readonly to: number;
  readonly slowMs: number;
  readonly stateFile: string;
}

/** The order of the counters in the state file. */
export const COUNTER_FIELDS = [
  'inputs',
  'ok',
  'typed',
  'untyped',
  'bad',
  'hung',
  'slow',
  'slowestMs',
] as const;

/** The state file: the index of the call in progress (int32, -1 while opening), then float64 counters. */
export const STATE_BYTES = 8 + 8 * COUNTER_FIELDS.length;

export function readState(bytes: Buffer): { index: number; counters: number[] } {
  if (bytes.length < STATE_BYTES) return { index: -1, counters: COUNTER_FIELDS.map(() => 0) };
  return {
    index: bytes.readInt32LE(0),
    counters: COUNTER_FIELDS.map((_, i) => bytes.readDoubleLE(8 + 8 * i)),
  };
}

export type ChildMessage =
  | { readonly type: 'finding'; readonly finding: Finding }
  | { readonly type: 'done' }
  | { readonly type: 'fatal'; readonly message: string };

class StateFileSink implements Sink {
  private readonly index = Buffer.alloc(4);
  private readonly counters = new Float64Array(COUNTER_FIELDS.length);
  current = -1;

  constructor(
    private readonly fd: number,
    private readonly send: (message: ChildMessage) => void,
  ) {}

  progress(index: number): void {
    this.current = index;
    this.index.writeInt32LE(index);
    writeSync(this.fd, this.index, 0, 4, 0);
  }

  record(_index: number, result: Classified): void {
    const c = this.counters;
    c[0]!++;
    c[COUNTER_FIELDS.indexOf(result.outcome)]!++;
    if (result.slow) c[6]!++;
    c[7] = Math.max(c[7]!, result.ms);
    writeSync(this.fd, new Uint8Array(c.buffer), 0, c.byteLength, 8);
  }

  finding(finding: Finding): void {
    this.send({ type: 'finding', finding });
  }
}

if (process.send && process.env.HAROMBE_FUZZ_JOB) {
  const job = JSON.parse(process.env.HAROMBE_FUZZ_JOB) as ChildJob;
  const send = (message: ChildMessage) => process.send!(message);
  const fd = openSync(job.stateFile, 'r+');
  const sink = new StateFileSink(fd, send);
  // Errors the code under test raises later, off the call's stack (a rejected promise nobody awaits,
  // a throwing timer), are untyped findings too: a user's process would crash on them.
  const asynchronous = (what: string) => (error: unknown) =>
    sink.finding({
      entry: job.entry,
      kind: 'untyped',
      index: sink.current,
      ms: 0,
      input: `${what} during or after input #${sink.current} (replay it to see which call leaves it behind)`,
      error: errorInfo(error),
    });
  process.on('unhandledRejection', asynchronous('unhandled rejection'));
  process.on('uncaughtException', asynchronous('uncaught exception'));
  const target = TARGETS.find((t) => t.name === job.entry);
  try {
    if (!target) throw new Error(`no entry point named ${job.entry}`);
    const session = await target.open();
    await runSlice(target, session, job, sink);
    await session.close?.();
    send({ type: 'done' });
  } catch (error) {
    // The harness itself failed (opening the session, generating an input): not a finding.
    const info = errorInfo(error);
    send({ type: 'fatal', message: `${info.name}: ${info.message}\n${info.stack ?? ''}` });
  }
  // The parent ends this process when it hears `done` (handles the code under test left open would
  // otherwise keep it alive).
  closeSync(fd);
}
