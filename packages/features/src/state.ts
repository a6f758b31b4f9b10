// What a fitted extractor has learned, and a whole extractor as plain data: the state its codec
// (serialization.ts) reads and writes, defined below both so neither imports the other.

import type { WindowEntry } from './activity-window.js';
import type { ResolvedFeatureOptions } from './options.js';
import type { Rarity } from './rarity.js';

/** Typical range of a feature in its own units, from the training vectors. */
export interface FeatureRange {
  readonly p05: number;
  readonly p50: number;
  readonly p95: number;
}

/** Learned state; what `toJSON` stores. */
export interface ExtractorState {
  readonly eventTypes: Rarity;
  readonly tools: Rarity;
  readonly destinations: Set<string>;
  readonly directories: Set<string>;
  readonly resourceKeys: readonly string[];
  /** Values used for missing fields: resource_count, duration_log, then each resource key. */
  readonly neutral: Float64Array;
  readonly ranges: readonly FeatureRange[];
  readonly hourCounts: Float64Array;
  readonly weekdayCounts: Float64Array;
  readonly trainingEvents: number;
}

/** A whole extractor as plain data: options, what it learned, its live window and held events. */
export interface ExtractorSnapshot {
  readonly options: ResolvedFeatureOptions;
  readonly state: ExtractorState;
  readonly window: readonly WindowEntry[];
  readonly held: readonly WindowEntry[];
}
