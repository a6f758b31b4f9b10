// Events in event time whatever the order of the input: a file is sorted in bounded memory (sorted
// runs of `chunkSize` events spilled to temporary files, then merged); a stream passes through a
// reorder buffer that holds events until the stream's newest time is `windowMs` past them.
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EventLogError } from './errors.js';
import { type LoggedEvent, loggedEvent, type ReadEventsOptions } from './events.js';
import { MinHeap } from './heap.js';
import { readJsonl } from './jsonl.js';

/** Options of {@link readInTimeOrder}. */
export interface TimeOrderOptions extends ReadEventsOptions {
  /** Events sorted in memory at a time; a larger file is sorted in runs on disk. Default 20,000. */
  readonly chunkSize?: number;
  /** Where the sorted runs go (a private directory is made in it and removed). Default the OS's. */
  readonly tempDir?: string;
  /** Called once every line was read, before the first event is yielded, with the events' count. */
  readonly onTotal?: (events: number) => void;
}

/** Options of {@link reorderByTime}. */
export interface ReorderOptions {
  /** How long (event time, ms) an event waits for earlier ones: released once the newest is this far past it. */
  readonly windowMs: number;
  /** At most this many events wait; past it the oldest is released early. Default 100,000. */
  readonly maxBuffered?: number;
  /** Called for an event older than one of its agent's already released: it is passed on at once. */
  readonly onLate?: (event: LoggedEvent) => void;
}

const timeOf = (event: LoggedEvent) => event.event.timestamp.getTime();
/** Event time, then line (a stable order for events of the same millisecond). */
const earlier = (a: LoggedEvent, b: LoggedEvent) =>
  timeOf(a) < timeOf(b) || (timeOf(a) === timeOf(b) && a.line < b.line);

/** An event of a run as text: `ms \t line \t JSON`. */
interface Spilled {
  readonly ms: number;
  readonly line: number;
  readonly text: string;
}
const spilledEarlier = (a: Spilled, b: Spilled) => a.ms < b.ms || (a.ms === b.ms && a.line < b.line);

/**
 * The events of a JSONL file (as {@link readEvents} reads them) in event time, ties in file order.
 * Memory is bounded by `chunkSize` events whatever the file's size: runs of that many are sorted and
 * written to a private temporary directory (mode 0700, removed afterwards), then merged. Bad lines
 * are skipped (or fatal with `strict`) during the first pass, in file order. Standard input (`-`)
 * is sorted the same way, once it ends; for a stream that does not end, use {@link reorderByTime}.
 * @throws {EventLogError} the file cannot be read, or, with `strict`, a bad line.
 */
export async function* readInTimeOrder(path: string, options: TimeOrderOptions): AsyncGenerator<LoggedEvent> {
  const chunkSize = options.chunkSize ?? 20_000;
  let directory: string | undefined;
  const runs: string[] = [];
  let chunk: Spilled[] = [];
  let total = 0;
  const skip = (line: number, reason: string) => {
    if (options.strict)
      throw new EventLogError('EVENT_LOG_BAD_LINE', `${path}:${line}: ${reason}`, path, line);
    options.onSkip?.(line, reason);
  };
  try {
    for await (const { line, value } of readJsonl(path, { strict: options.strict, onSkip: skip })) {
      const event = loggedEvent(line, value);
      if (typeof event === 'string') {
        skip(line, event);
        continue;
      }
      total++;
      chunk.push({ ms: timeOf(event), line, text: JSON.stringify(value) });
      if (chunk.length >= chunkSize) {
        directory ??= mkdtempSync(join(options.tempDir ?? tmpdir(), 'harombe-sort-'));
        runs.push(spill(directory, runs.length, chunk));
        chunk = [];
      }
    }
    options.onTotal?.(total);
    chunk.sort((a, b) => (spilledEarlier(a, b) ? -1 : 1));
    if (runs.length === 0) {
      for (const spilled of chunk) yield revive(spilled);
      return;
    }
    if (chunk.length > 0) runs.push(spill(directory!, runs.length, chunk));
    chunk = [];
    yield* merge(runs);
  } finally {
    if (directory) rmSync(directory, { recursive: true, force: true });
  }
}

/** Writes a sorted run; returns its file. */
function spill(directory: string, index: number, chunk: Spilled[]): string {
  chunk.sort((a, b) => (spilledEarlier(a, b) ? -1 : 1));
  const file = join(directory, `run-${index}.tsv`);
  writeFileSync(file, chunk.map((s) => `${s.ms}\t${s.line}\t${s.text}\n`).join(''), { mode: 0o600 });
  return file;
}

/** The events of sorted runs, merged (one line of each run in memory at a time). */
async function* merge(files: readonly string[]): AsyncGenerator<LoggedEvent> {
  const readers = files.map((file) =>
    createInterface({
      input: createReadStream(file, { encoding: 'utf8' }),
      crlfDelay: Number.POSITIVE_INFINITY,
    })[Symbol.asyncIterator](),
  );
  const heap = new MinHeap<Spilled & { readonly run: number }>(spilledEarlier);
  const next = async (run: number) => {
    const { done, value } = await readers[run]!.next();
    if (done) return;
    const first = value.indexOf('\t');
    const second = value.indexOf('\t', first + 1);
    heap.push({
      ms: Number(value.slice(0, first)),
      line: Number(value.slice(first + 1, second)),
      text: value.slice(second + 1),
      run,
    });
  };
  try {
    for (let run = 0; run < readers.length; run++) await next(run);
    while (heap.size > 0) {
      const top = heap.pop()!;
      yield revive(top);
      await next(top.run);
    }
  } finally {
    for (const reader of readers) await reader.return?.();
  }
}

/** The event of a line that was read and checked already. */
function revive({ line, text }: Spilled): LoggedEvent {
  const event = loggedEvent(line, JSON.parse(text));
  if (typeof event === 'string') throw new Error(`line ${line} changed meaning after sorting: ${event}`);
  return event;
}

/**
 * Passes a stream's events on in event time, within a bounded window: each waits until the newest
 * event seen is `windowMs` past it (or until `maxBuffered` wait), so events that arrive up to
 * `windowMs` late take their place. An event older than one its agent already passed on is too late
 * to place: it goes on at once, and `onLate` is told. At the end of the stream every waiting event
 * goes on. With `windowMs` 0 events go on as they come (only late ones are reported).
 */
export async function* reorderByTime(
  source: AsyncIterable<LoggedEvent>,
  options: ReorderOptions,
): AsyncGenerator<LoggedEvent> {
  const maxBuffered = options.maxBuffered ?? 100_000;
  const waiting = new MinHeap<LoggedEvent>(earlier);
  /** Per agent, the time of the newest event passed on. */
  const passed = new Map<string, number>();
  let newest = Number.NEGATIVE_INFINITY;
  const release = () => {
    const event = waiting.pop()!;
    passed.set(event.agentId, Math.max(passed.get(event.agentId) ?? Number.NEGATIVE_INFINITY, timeOf(event)));
    return event;
  };
  for await (const event of source) {
    const ms = timeOf(event);
    if (ms < (passed.get(event.agentId) ?? Number.NEGATIVE_INFINITY)) {
      options.onLate?.(event);
      yield event;
      continue;
    }
    waiting.push(event);
    if (ms > newest) newest = ms;
    while (
      waiting.size > 0 &&
      (timeOf(waiting.peek()!) <= newest - options.windowMs || waiting.size > maxBuffered)
    )
      yield release();
  }
  while (waiting.size > 0) yield release();
}
