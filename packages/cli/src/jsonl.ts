// Reading JSON Lines from a file or standard input, one record at a time, with line numbers.
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CliError } from './io.js';

export interface JsonlOptions {
  /** Fail on the first bad line instead of skipping it. */
  readonly strict?: boolean;
  /** Called for each skipped line. */
  readonly onSkip?: (line: number, reason: string) => void;
}

/** Yields `{ line, value }` for each non-empty line of `path` (`-` for stdin). */
export async function* readJsonl(
  path: string,
  options: JsonlOptions = {},
): AsyncGenerator<{ line: number; value: unknown }> {
  if (path !== '-' && !existsSync(path)) throw new CliError(`cannot read ${path}: no such file`);
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
        if (options.strict) throw new CliError(`${path}:${line}: ${reason}`);
        options.onSkip?.(line, reason);
        continue;
      }
      yield { line, value };
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
}
