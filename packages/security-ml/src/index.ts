// @harombe/security-ml: the facade. ThreatDetector and the model lifecycle it shares with this
// package's AnomalyDetector, plus a curated list of what the packages below offer users. Every name
// here is a promise kept across releases (see the README's versioning policy); helpers and internals
// stay in their own packages.

// The parts, for users who want one of them alone.
export { BaselineLearner, type BaselineLearnerOptions } from '@harombe/baseline';
export {
  type DetectDetailedOptions,
  type DetectionDetail,
  DetectorError,
  type ForestVerdict,
  type TrainOptions,
  type TrainResult,
} from '@harombe/detector';
export {
  FeatureExtractor,
  FeatureExtractorError,
  type FeatureExtractorOptions,
  type FeatureMatrix,
} from '@harombe/features';
export {
  type ForestExplanation,
  ForestInputError,
  IsolationForest,
  type IsolationForestOptions,
  type MatrixInput,
  NotFittedError,
  type RowMajorMatrix,
  rocAuc,
} from '@harombe/isolation-forest';
// Events, results and threat levels.
// Where models are stored.
export {
  AgentIdSchema,
  type AnomalyResult,
  AnomalyResultSchema,
  type ArtifactKind,
  type ArtifactRef,
  atLeast,
  type BaselineScores,
  BaselineScoresSchema,
  type BehavioralBaseline,
  BehavioralBaselineSchema,
  type BehavioralPattern,
  compareThreatLevels,
  createSecurityEventParser,
  DEFAULT_EVENT_LIMITS,
  DEFAULT_SENSITIVE_CATALOGUE,
  DEFAULT_THREAT_BANDS,
  type EventClockOptions,
  type EventLimits,
  type EventTime,
  ensureSecurityEvent,
  type FeatureVector,
  HarombeError,
  MAX_AGENT_ID_LENGTH,
  type ModelArtifact,
  ModelArtifactError,
  type ModelProblem,
  type ModelStore,
  maxThreatLevel,
  parseAgentId,
  parseEvents,
  parseSecurityEvent,
  type SafeParseEventResult,
  type ScoringSource,
  type SecurityEvent,
  type SecurityEventInput,
  type SecurityEventParser,
  SecurityEventSchema,
  type SensitiveCatalogue,
  SensitiveCatalogueError,
  type SensitiveLocation,
  safeParseSecurityEvent,
  sensitiveCatalogue,
  THREAT_LEVELS,
  type ThreatBands,
  ThreatBandsSchema,
  type ThreatLevel,
  ThreatLevelSchema,
  TimeZoneSchema,
  templatePath,
  threatLevelFor,
  threatLevelForScore,
  threatLevelRank,
  ValidationError,
  type ValidationIssue,
} from '@harombe/models';
export {
  CorruptError,
  FileModelStore,
  type FileModelStoreOptions,
  KEY_ENV,
  MemoryModelStore,
  NotFoundError,
  resolveKey,
  StoreConfigError,
  StoreError,
  type StoreErrorCode,
  TamperedError,
  UnsupportedVersionError,
} from '@harombe/persistence';
// Assessing agents' events: the combined detector, and the model lifecycle.
export {
  AnomalyDetector,
  type AnomalyDetectorOptions,
  AnomalyDetectorOptionsSchema,
  DETECTOR_KIND,
} from './anomaly-detector.js';
export {
  fisherCombined,
  type Incident,
  type IncidentOptions,
  IncidentOptionsSchema,
  type IncidentQuery,
  type IncidentRef,
} from './incidents.js';
export type {
  EnsureLoadedOptions,
  PrepareOptions,
  PrepareResult,
  StoreOptions,
} from './model-lifecycle.js';
export {
  type AssessOptions,
  type DetectionMode,
  type EventContext,
  FLEET_MODEL_KIND,
  THREAT_MODEL_FORMAT,
  THREAT_MODEL_KIND,
  type ThreatAssessment,
  ThreatDetector,
  type ThreatDetectorOptions,
  type ThreatTrainResult,
} from './threat-detector.js';
