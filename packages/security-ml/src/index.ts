// @harombe/security-ml: the public API of every harombe package, ThreatDetector, and the model
// lifecycle (load on demand, save, load, evict idle agents, prepare from history) that it and this
// package's AnomalyDetector share.
export * from '@harombe/baseline';
export * from '@harombe/detector';
export * from '@harombe/features';
export * from '@harombe/isolation-forest';
export * from '@harombe/models';
export * from '@harombe/persistence';
// The detector with a store: these shadow @harombe/detector's names of the same spelling.
export {
  AnomalyDetector,
  type AnomalyDetectorOptions,
  AnomalyDetectorOptionsSchema,
  DETECTOR_KIND,
} from './anomaly-detector.js';
export type {
  EnsureLoadedOptions,
  PrepareOptions,
  PrepareResult,
  StoreOptions,
} from './model-lifecycle.js';
export {
  type AssessOptions,
  type DetectionMode,
  THREAT_MODEL_FORMAT,
  THREAT_MODEL_KIND,
  type ThreatAssessment,
  ThreatDetector,
  type ThreatDetectorOptions,
  type ThreatTrainResult,
} from './threat-detector.js';
