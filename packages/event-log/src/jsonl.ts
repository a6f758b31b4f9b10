// Reading JSON Lines from a file or standard input, one record at a time, with line numbers.
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { EventLogError } from './errors.js';

export interface JsonlOptions {
  /** Fail on the first bad line instead of skipping it. Default false. */
  readonly strict?: boolean;
  /** Called for each skipped line. */
  readonly onSkip?: (line: number, reason: string) => void;
}

/**
 * Yields `{ line, value }` for each non-empty line of `path` (`-` for standard input), in file order,
 * reading one line at a time.
 * @throws {EventLogError} the file cannot be read (`EVENT_LOG_UNREADABLE`), or, with `strict`, a line
 * is not JSON (`EVENT_LOG_BAD_LINE`).
 */
export async function* readJsonl(
  path: string,
  options: JsonlOptions = {},
): AsyncGenerator<{ line: number; value: unknown }> {
  if (path !== '-' && !existsSync(path)) {
    throw new EventLogError('EVENT_LOG_UNREADABLE', `cannot read ${path}: no such file`, path);
  }
  const input = path === '-' ? process.stdin : createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        const reason = 'not valid JSON';
        if (options.strict)
          throw new EventLogError('EVENT_LOG_BAD_LINE', `${path}:${line}: ${reason}`, path, line);
        options.onSkip?.(line, reason);
        continue;
      }
      yield { line, value };
    }
  } catch (error) {
    if (error instanceof EventLogError) throw error;
    throw new EventLogError('EVENT_LOG_UNREADABLE', `cannot read ${path}: ${(error as Error).message}`, path);
  }
}
