import { parseOrThrow } from '@harombe/models';
import { z } from 'zod';

/** The seed used when none is given, so that unseeded forests are reproducible too. */
export const DEFAULT_SEED = 42;

export const IsolationForestOptionsSchema = z
  .object({
    nEstimators: z.number().int().min(1).max(100_000).default(100),
    maxSamples: z
      .number()
      .int()
      .min(2)
      .max(2 ** 31 - 1)
      .default(256),
    maxDepth: z.union([z.literal('auto'), z.number().int().min(1).max(64)]).default('auto'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(DEFAULT_SEED),
    contamination: z
      .union([z.literal('auto'), z.number().gt(0).max(0.5)], {
        error: 'expected "auto" or a number in (0, 0.5]',
      })
      .default('auto'),
  })
  .strict();

/** Options of {@link IsolationForest}; every field is optional. */
export interface IsolationForestOptions {
  /** Number of trees. Default 100. */
  nEstimators?: number;
  /** Subsample size psi per tree, drawn without replacement; capped at the number of rows. Default 256. */
  maxSamples?: number;
  /** Height limit of each tree. Default `'auto'`: ceil(log2 psi). */
  maxDepth?: number | 'auto';
  /** Seed of the PRNG (an unsigned 32-bit integer). Default 42. */
  seed?: number;
  /**
   * Expected share of outliers, setting {@link IsolationForest.threshold}: `'auto'` (default) uses
   * 0.5 as in the paper; a number in (0, 0.5] uses that upper quantile of the training scores.
   */
  contamination?: number | 'auto';
}

export type ResolvedOptions = z.output<typeof IsolationForestOptionsSchema>;

export function resolveOptions(options: IsolationForestOptions): ResolvedOptions {
  return parseOrThrow(IsolationForestOptionsSchema, options, 'IsolationForest options');
}
