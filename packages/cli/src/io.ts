// Where commands write, so tests can capture it, and the error a command raises for a clean exit.
import { HarombeError } from '@harombe/security-ml';

export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Whether stderr is an interactive terminal (progress bars only then). */
  readonly interactive: boolean;
  /** Milliseconds, for pacing progress lines only (never for results). Default `performance.now`. */
  readonly now?: () => number;
  /** How often a progress line is written when stderr is not a terminal. Default 10 s. */
  readonly progressEveryMs?: number;
  /**
   * A promise to wait on while the output's buffer is full (its reader is slower than the
   * results), else `undefined`: streaming commands wait, so memory stays bounded.
   */
  readonly backpressure?: () => Promise<void> | undefined;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  interactive: Boolean(process.stderr.isTTY),
  backpressure: () =>
    process.stdout.writableNeedDrain
      ? new Promise<void>((resolve) => {
          process.stdout.once('drain', resolve);
          // A reader that went away never drains: the EPIPE handler ends the process.
          process.stdout.once('close', resolve);
        })
      : undefined,
};

/** A failure to report in one line with this exit code (1 bad input or state, 2 usage). */
export class CliError extends HarombeError<'CLI_ERROR'> {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super('CLI_ERROR', message);
  }
}
