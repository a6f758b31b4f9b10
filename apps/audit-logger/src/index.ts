// The audit logger as a library: open a logger, attach the anomaly plugin, query alerts.
export { AnomalyPlugin, type AnomalyPluginOptions, type AnomalyPluginStats } from './anomaly-plugin.js';
export {
  AuditLogger,
  type AuditLoggerOptions,
  type AuditPlugin,
  type ToolCallDetails,
} from './audit-logger.js';
export {
  type BatchOutcome,
  DetectionEngine,
  type EngineOptions,
  type FeedbackApplied,
  type RecordOptions,
  type TrainSummary,
} from './engine.js';
export { AuditInputError, type AuditInputErrorCode } from './errors.js';
export { AuditMetrics, type MetricsSource } from './metrics.js';
export {
  isSecretName,
  type JsonValue,
  type LimitKind,
  looksLikeToken,
  luhn,
  REDACTION_LIMITS,
  redactText,
  redactValue,
  type SecretKind,
} from './redact.js';
export { migrate, SCHEMA_VERSION, securityDatabasePath } from './schema.js';
export {
  type Alert,
  type AlertContext,
  type AlertNotice,
  type AlertQuery,
  type AlertStatus,
  AuditStore,
  type DecisionRecord,
  type Durability,
  type IncidentListQuery,
  type IncidentRecord,
  type IncidentStatus,
  type IncidentVerdict,
  type LoggedEvent,
  type RecordedBatch,
  type StoreMode,
  type ToolCallRecord,
} from './store.js';
