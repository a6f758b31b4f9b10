import {
  type EventClockOptions,
  EventClockOptionsSchema,
  MAX_ARTIFACT_ITEMS,
  TimeZoneSchema,
} from '@harombe/models';
import { z } from 'zod';
export const FeatureExtractorOptionsSchema = z
  .object({
    timeZone: TimeZoneSchema.default('UTC'),
    windowMs: z
      .number()
      .int()
      .min(1000)
      .max(7 * 86_400_000)
      .default(3_600_000),
    windowCapacity: z.number().int().min(1).max(MAX_ARTIFACT_ITEMS).default(10_000),
    windowFeatures: z.boolean().default(true),
    maxResourceKeys: z.number().int().min(0).max(64).default(8),
    maxVocabulary: z.number().int().min(1).max(MAX_ARTIFACT_ITEMS).default(10_000),
    ...EventClockOptionsSchema.shape,
  })
  .strict();

/**
 * Options of {@link FeatureExtractor}; all optional. `maxLeadMs` (default 1 hour) and
 * `corroboration` (default 3): an event stamped more than `maxLeadMs` past the window's newest is
 * held out of the window until `corroboration` such events confirm the new time (`EventClockOptions`
 * in `@harombe/models`).
 */
export interface FeatureExtractorOptions extends EventClockOptions {
  /** IANA zone for hour of day, weekday and weekend. Default `'UTC'`. */
  timeZone?: string;
  /** Sliding window of event time for activity features, in ms. Default 1 hour. */
  windowMs?: number;
  /** Most events the window keeps (bounds memory per agent). Default 10,000; at most 100,000. */
  windowCapacity?: number;
  /** Whether to append the window activity features. Default `true`. */
  windowFeatures?: boolean;
  /** Most frequent `resource_usage` counters that become features. Default 8. */
  maxResourceKeys?: number;
  /** Most destinations, file locations, event types and tools remembered. Default 10,000; at most 100,000. */
  maxVocabulary?: number;
}

export type ResolvedFeatureOptions = z.output<typeof FeatureExtractorOptionsSchema>;
