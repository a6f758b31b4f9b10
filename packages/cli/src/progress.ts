// Progress on standard error: a bar on a terminal, otherwise a plain line every `progressEveryMs`
// (10 s by default), so that logs and tests are not flooded.
import { SingleBar } from 'cli-progress';
import type { Io } from './io.js';

export interface Progress {
  /** `done` items so far (of `total`, when known: set it later with `total`). */
  update(done: number): void;
  /** The total, once known (a file's events after reading it). */
  total(total: number): void;
  /** Ends the bar; a final line when any plain line was written. */
  stop(): void;
}

const DEFAULT_EVERY_MS = 10_000;
const grouped = (n: number) => n.toLocaleString('en-US');

/** Progress of `label` (`detect`, `train: reading`) in `unit`s (`events`, `agents`). */
export function progress(io: Io, label: string, unit: string, total?: number): Progress {
  return io.interactive ? barProgress(label, unit, total) : lineProgress(io, label, unit, total);
}

function barProgress(label: string, unit: string, initialTotal: number | undefined): Progress {
  const bar = new SingleBar({
    format:
      initialTotal === undefined
        ? `${label} {value} ${unit}`
        : `${label} [{bar}] {percentage}% | {value}/{total} ${unit}`,
    hideCursor: true,
    stream: process.stderr,
    fps: 5,
  });
  bar.start(initialTotal ?? 0, 0);
  return {
    update: (done) => bar.update(done),
    total: (total) => bar.setTotal(total),
    stop: () => bar.stop(),
  };
}

function lineProgress(io: Io, label: string, unit: string, initialTotal: number | undefined): Progress {
  const now = io.now ?? (() => performance.now());
  const every = io.progressEveryMs ?? DEFAULT_EVERY_MS;
  const started = now();
  let last = started;
  let total = initialTotal;
  let done = 0;
  let written = false;
  const line = () => {
    const seconds = (now() - started) / 1000;
    const of =
      total === undefined ? '' : ` of ${grouped(total)} (${((done / Math.max(total, 1)) * 100).toFixed(0)}%)`;
    io.err(`harombe-ml ${label}: ${grouped(done)} ${unit}${of}, ${seconds.toFixed(0)} s`);
  };
  return {
    update: (n) => {
      done = n;
      const t = now();
      if (t - last < every) return;
      last = t;
      written = true;
      line();
    },
    total: (n) => {
      total = n;
    },
    stop: () => {
      if (written) line();
    },
  };
}
