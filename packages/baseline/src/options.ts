import {
  type EventClockOptions,
  EventClockOptionsSchema,
  type SensitiveCatalogue,
  TimeZoneSchema,
} from '@harombe/models';
import { z } from 'zod';

export const BaselineLearnerOptionsSchema = z
  .object({
    windowDays: z.number().int().min(1).max(366).default(30),
    minSamples: z.number().int().min(1).default(100),
    timeZone: TimeZoneSchema.default('UTC'),
    robust: z.boolean().default(true),
    feedbackWeight: z.number().min(1).max(1000).default(10),
    maxVocabulary: z.number().int().min(1).max(100_000).default(1000),
    /** Checked entry by entry when the learner is made (errors name the entry). */
    sensitiveLocations: z
      .custom<SensitiveCatalogue>((value) => typeof value === 'object' && value !== null, {
        message: 'expected a catalogue { version, entries }',
      })
      .optional(),
    ...EventClockOptionsSchema.shape,
  })
  .strict();

/**
 * Options of {@link BaselineLearner}; all optional. `maxLeadMs` (default 1 hour) and `corroboration`
 * (default 3) set how an event stamped far ahead of the agent's newest event is handled: scored, not
 * learned, and the agent's clock kept, until `corroboration` such events confirm the new time (see
 * `EventClockOptions` in `@harombe/models`).
 */
export interface BaselineLearnerOptions extends EventClockOptions {
  /** Rolling window of event time, in days. Default 30. */
  windowDays?: number;
  /** Events needed in the window before a baseline exists. Default 100. */
  minSamples?: number;
  /** IANA zone for hours and weekdays. Default `'UTC'`. */
  timeZone?: string;
  /** Score resources and durations with median/MAD (default `true`) or mean/standard deviation. */
  robust?: boolean;
  /** How many ordinary events one confirmed-normal feedback event counts as, at least. Default 10 (or 5% of the window if more). */
  feedbackWeight?: number;
  /**
   * Most distinct values tracked per agent: event types and tools per day; destinations, locations
   * (path templates), sensitive files and verbs over the window. Default 1000.
   */
  maxVocabulary?: number;
  /**
   * The sensitive-location catalogue (credential and secret locations), an indicator beside what is
   * learned: a file it names that the agent has not established reading scores on the `content`
   * dimension. Default `DEFAULT_SENSITIVE_CATALOGUE` from `@harombe/models`; extend it with
   * `sensitiveCatalogue({ add: [...] })`, or pass one of your own.
   */
  sensitiveLocations?: SensitiveCatalogue;
  /**
   * Where "now" comes from, in epoch ms. By default it is the newest event seen for the agent, so a
   * replayed log gives the same answers; inject a clock to expire history by wall time instead.
   */
  clock?: () => number;
}

export type ResolvedBaselineOptions = z.output<typeof BaselineLearnerOptionsSchema>;
