export { ModelArtifactError } from '@harombe/models';
export type { WindowEntry, WindowStats } from './activity-window.js';
export { FeatureExtractorError } from './errors.js';
export {
  destinationOf,
  directoryOf,
  FeatureExtractor,
  type FeatureMatrix,
  type FitColumnsOptions,
  NO_TOOL,
} from './extractor.js';
export {
  EVENT_FEATURES,
  type FeatureInfo,
  type FeatureKind,
  resourceFeature,
  WINDOW_FEATURES,
} from './feature-names.js';
export { type FeatureExtractorOptions, FeatureExtractorOptionsSchema } from './options.js';
export { quantilesInPlace, selectRanks } from './order-statistics.js';
export { Rarity } from './rarity.js';
export { FEATURES_FORMAT, FEATURES_FORMAT_VERSION, type SerializedExtractor } from './serialization.js';
export type { ExtractorSnapshot, ExtractorState, FeatureRange } from './state.js';
