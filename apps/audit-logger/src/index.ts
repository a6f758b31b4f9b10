// The audit logger as a library: open a logger, attach the anomaly plugin, query alerts.
export {
  AnomalyPlugin,
  type AnomalyPluginOptions,
  type AnomalyPluginStats,
  SCHEDULER_LEADERSHIP,
  type ScheduledJob,
  type ScheduledOutcome,
} from './anomaly-plugin.js';
export {
  type Answer,
  AuditLogger,
  type AuditLoggerOptions,
  type AuditPlugin,
  type PostgresLoggerOptions,
  type SqliteLoggerOptions,
  type ToolCallDetails,
} from './audit-logger.js';
export type {
  Alert,
  AlertContext,
  AlertNotice,
  AlertQuery,
  AlertStatus,
  AuditStore,
  Awaitable,
  DecisionRecord,
  FeedbackItem,
  IncidentListQuery,
  IncidentRecord,
  IncidentStatus,
  IncidentVerdict,
  InsertedEvent,
  LeadOutcome,
  LoggedEvent,
  PendingResolution,
  RecordedBatch,
  RetentionOutcome,
  StoreStats,
  ToolCallRecord,
} from './audit-store.js';
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
  AUDIT_MODEL_TABLE,
  PostgresAuditStore,
  type PostgresConnection,
} from './postgres-store.js';
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
export { type Durability, SqliteAuditStore, type StoreMode } from './sqlite-store.js';
export { openAuditStore, type StoreLocation } from './stores.js';
