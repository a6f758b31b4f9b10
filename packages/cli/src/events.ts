// Events from JSON Lines for the commands: @harombe/event-log's readers, telling the user on standard
// error about the lines they skip (the first five, then how many), as CliErrors when they fail.
import { EventLogError, type LoggedEvent, readEvents as readLog } from '@harombe/event-log';
import { CliError, type Io } from './io.js';

export interface ReadOptions {
  readonly strict: boolean;
}

/** Reports skipped lines of `path` on `io`: `onSkip` for the reader, `finish` for the count. */
export function skipReporter(
  path: string,
  io: Io,
): { onSkip(line: number, reason: string): void; finish(): void } {
  let skipped = 0;
  return {
    onSkip: (line, reason) => {
      skipped++;
      if (skipped <= 5) io.err(`harombe-ml: skipping ${path}:${line}: ${reason}`);
    },
    finish: () => {
      if (skipped > 0)
        io.err(`harombe-ml: skipped ${skipped} bad line${skipped === 1 ? '' : 's'} in ${path}`);
    },
  };
}

/** Runs a read, turning the reader's errors into the commands' one error type (it carries the exit code). */
export async function reading<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof EventLogError) throw new CliError(error.message);
    throw error;
  }
}

/** Reads events with an agent id from JSONL, reporting skipped lines on `io`. */
export async function readEvents(path: string, options: ReadOptions, io: Io): Promise<LoggedEvent[]> {
  const skips = skipReporter(path, io);
  const events = await reading(() => readLog(path, { strict: options.strict, onSkip: skips.onSkip }));
  skips.finish();
  return events;
}
