// @harombe/security-ml: the public API of every harombe package, and ThreatDetector.
export * from '@harombe/baseline';
export * from '@harombe/detector';
export * from '@harombe/features';
export * from '@harombe/isolation-forest';
export * from '@harombe/models';
export * from '@harombe/persistence';
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
