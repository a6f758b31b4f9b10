export { CompactEvents } from './compact-events.js';
export {
  HarombeError,
  type ModelArtifact,
  ModelArtifactError,
  type ModelProblem,
  ValidationError,
  type ValidationIssue,
} from './errors.js';
export {
  EventClock,
  type EventClockOptions,
  EventClockOptionsSchema,
  type EventTime,
  type ResolvedEventClockOptions,
} from './event-clock.js';
export { AgentIdSchema, MAX_AGENT_ID_LENGTH, parseAgentId } from './ids.js';
export { checkTimeZone, LocalClock, TimeZoneSchema } from './local-time.js';
export { destinationOf, directoryOf, extensionOf, fileNameOf, templatePath, verbOf } from './path-content.js';
export {
  type AnomalyResult,
  AnomalyResultSchema,
  type BaselineScores,
  BaselineScoresSchema,
  type BehavioralBaseline,
  BehavioralBaselineSchema,
  type BehavioralPattern,
  BehavioralPatternSchema,
  type FeatureVector,
  FeatureVectorSchema,
  type ScoringSource,
  ScoringSourceSchema,
  type StatisticSummary,
  StatisticSummarySchema,
} from './results.js';
export {
  createSecurityEventParser,
  DEFAULT_EVENT_LIMITS,
  type EventLimits,
  ensureSecurityEvent,
  parseEvents,
  parseSecurityEvent,
  type SafeParseEventResult,
  type SecurityEvent,
  type SecurityEventInput,
  type SecurityEventParser,
  SecurityEventSchema,
  safeParseSecurityEvent,
  trainingCopy,
} from './security-event.js';
export {
  DEFAULT_SENSITIVE_CATALOGUE,
  type SensitiveCatalogue,
  SensitiveCatalogueError,
  SensitiveCatalogueSchema,
  type SensitiveLocation,
  SensitiveLocationSchema,
  SensitiveMatcher,
  sensitiveCatalogue,
} from './sensitive-locations.js';
export { type ArtifactKind, ArtifactKindSchema, type ArtifactRef, type ModelStore } from './store.js';
export { MAX_ARTIFACT_ITEMS, readTagged, type TaggedFormat, type TaggedProblem } from './tagged.js';
export {
  atLeast,
  compareThreatLevels,
  DEFAULT_THREAT_BANDS,
  maxThreatLevel,
  THREAT_LEVELS,
  type ThreatBands,
  ThreatBandsSchema,
  type ThreatLevel,
  ThreatLevelSchema,
  threatLevelFor,
  threatLevelForScore,
  threatLevelRank,
} from './threat-level.js';
export {
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
  parseIsoTimestamp,
  TimestampSchema,
  toEpochMillis,
} from './timestamp.js';
export {
  describeValue,
  formatPath,
  type IssueOptions,
  isHarombeError,
  messageOf,
  optionalFlag,
  parseOrThrow,
  readInput,
  requireArray,
  toValidationIssues,
} from './validation.js';
