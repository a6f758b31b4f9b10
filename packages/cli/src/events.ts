// Events from JSON Lines for the commands: @harombe/event-log's reader, telling the user on standard
// error about the lines it skips (the first five, then how many).
import { EventLogError, type LoggedEvent, readEvents as readLog } from '@harombe/event-log';
import { CliError, type Io } from './io.js';

export interface ReadOptions {
  readonly strict: boolean;
}

/** Reads events with an agent id from JSONL, reporting skipped lines on `io`. */
export async function readEvents(path: string, options: ReadOptions, io: Io): Promise<LoggedEvent[]> {
  let skipped = 0;
  let events: LoggedEvent[];
  try {
    events = await readLog(path, {
      strict: options.strict,
      onSkip: (line, reason) => {
        skipped++;
        if (skipped <= 5) io.err(`harombe-ml: skipping ${path}:${line}: ${reason}`);
      },
    });
  } catch (error) {
    // The commands' one error type (it carries the exit code).
    if (error instanceof EventLogError) throw new CliError(error.message);
    throw error;
  }
  if (skipped > 0) io.err(`harombe-ml: skipped ${skipped} bad line${skipped === 1 ? '' : 's'} in ${path}`);
  return events;
}
