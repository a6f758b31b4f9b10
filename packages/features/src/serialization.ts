// The fitted extractor as versioned JSON: vocabularies, neutral values, ranges and the live window,
// so that a reloaded extractor produces identical vectors. It works on the plain snapshot
// (state.ts); the extractor calls it, never the other way round.
import { readTagged } from '@harombe/models';
import { z } from 'zod';
import type { WindowEntry } from './activity-window.js';
import { featureModelError } from './errors.js';
import { FeatureExtractorOptionsSchema } from './options.js';
import { Rarity } from './rarity.js';
import type { ExtractorSnapshot } from './state.js';

export const FEATURES_FORMAT = 'harombe.features';
export const FEATURES_FORMAT_VERSION = 1;

const finite = z.number();
const counts = z.array(z.tuple([z.string(), z.number().positive()]));

/** [time ms, duration ms or null, tool or null, destination or null, flags (1 failed, 2 file)] */
const WindowEntrySchema = z.tuple([
  finite,
  finite.nullable(),
  z.string().nullable(),
  z.string().nullable(),
  z.number().int(),
]);
type SerializedEntry = z.infer<typeof WindowEntrySchema>;

function writeEntry(e: WindowEntry): SerializedEntry {
  return [
    e.timeMs,
    Number.isNaN(e.durationMs) ? null : e.durationMs,
    e.tool ?? null,
    e.destination ?? null,
    (e.failed ? 1 : 0) | (e.fileOperation ? 2 : 0),
  ];
}

function readEntry([timeMs, duration, tool, destination, flags]: SerializedEntry): WindowEntry {
  return {
    timeMs,
    durationMs: duration ?? Number.NaN,
    tool: tool ?? undefined,
    destination: destination ?? undefined,
    failed: (flags & 1) === 1,
    fileOperation: (flags & 2) === 2,
  };
}

const SerializedExtractorSchema = z.object({
  format: z.literal(FEATURES_FORMAT),
  version: z.literal(FEATURES_FORMAT_VERSION),
  options: FeatureExtractorOptionsSchema,
  eventTypes: counts,
  tools: counts,
  destinations: z.array(z.string()),
  directories: z.array(z.string()),
  resourceKeys: z.array(z.string()),
  neutral: z.array(finite),
  ranges: z.array(z.tuple([finite, finite, finite])),
  hourCounts: z.array(z.number().min(0)).length(24),
  weekdayCounts: z.array(z.number().min(0)).length(7),
  trainingEvents: z.number().int().min(1),
  window: z.array(WindowEntrySchema),
  /** Events stamped ahead of the window, held until their time is confirmed (absent: none). */
  held: z.array(WindowEntrySchema).max(16).optional(),
});

export type SerializedExtractor = z.infer<typeof SerializedExtractorSchema>;

export function encodeExtractor({ options, state, window, held }: ExtractorSnapshot): SerializedExtractor {
  return {
    format: FEATURES_FORMAT,
    version: FEATURES_FORMAT_VERSION,
    options: { ...options },
    eventTypes: state.eventTypes.entries(),
    tools: state.tools.entries(),
    destinations: [...state.destinations],
    directories: [...state.directories],
    resourceKeys: [...state.resourceKeys],
    neutral: Array.from(state.neutral),
    ranges: state.ranges.map((r) => [r.p05, r.p50, r.p95] as [number, number, number]),
    hourCounts: Array.from(state.hourCounts),
    weekdayCounts: Array.from(state.weekdayCounts),
    trainingEvents: state.trainingEvents,
    window: window.map(writeEntry),
    ...(held.length > 0 ? { held: held.map(writeEntry) } : {}),
  };
}

/** Reads {@link encodeExtractor} output (object or JSON text) back into a snapshot. */
export function decodeExtractor(input: unknown): ExtractorSnapshot {
  const model = readTagged(input, {
    format: FEATURES_FORMAT,
    version: FEATURES_FORMAT_VERSION,
    schema: SerializedExtractorSchema,
    fail: (problem, message) => featureModelError(problem, message),
  });
  const expectedNeutral = 2 + model.resourceKeys.length;
  if (model.neutral.length !== expectedNeutral) {
    throw featureModelError(
      'schema',
      `expected ${expectedNeutral} neutral values, found ${model.neutral.length}`,
    );
  }
  return {
    options: model.options,
    state: {
      eventTypes: new Rarity(model.eventTypes),
      tools: new Rarity(model.tools),
      destinations: new Set(model.destinations),
      directories: new Set(model.directories),
      resourceKeys: model.resourceKeys,
      neutral: Float64Array.from(model.neutral),
      ranges: model.ranges.map(([p05, p50, p95]) => ({ p05, p50, p95 })),
      hourCounts: Float64Array.from(model.hourCounts),
      weekdayCounts: Float64Array.from(model.weekdayCounts),
      trainingEvents: model.trainingEvents,
    },
    window: model.window.map(readEntry),
    held: model.held?.map(readEntry) ?? [],
  };
}
