import { Worker } from 'node:worker_threads';
import type { RowMajorMatrix } from '@harombe/isolation-forest';

export type PeerResult =
  | {
      readonly status: 'done';
      readonly fitMs: number;
      readonly scoreMs: number;
      readonly scores: Float64Array;
    }
  | { readonly status: 'timeout'; readonly fitMs: number | undefined; readonly capMs: number }
  | { readonly status: 'error'; readonly message: string };

/** Fits and scores ml-isolation-forest on the matrix in a worker, giving up after `capMs`. */
export function runPeer(matrix: RowMajorMatrix, capMs: number): Promise<PeerResult> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./peer-worker.mjs', import.meta.url), {
      workerData: { data: matrix.data, rows: matrix.rows, columns: matrix.columns },
    });
    let fitMs: number | undefined;
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve({ status: 'timeout', fitMs, capMs });
    }, capMs);
    worker.on(
      'message',
      (message: { phase: string; fitMs: number; scoreMs: number; scores: Float64Array }) => {
        if (message.phase === 'fit') fitMs = message.fitMs;
        else {
          clearTimeout(timer);
          void worker.terminate();
          resolve({ status: 'done', fitMs: message.fitMs, scoreMs: message.scoreMs, scores: message.scores });
        }
      },
    );
    worker.on('error', (error) => {
      clearTimeout(timer);
      resolve({ status: 'error', message: error.message });
    });
  });
}
