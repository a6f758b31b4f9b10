// The audit logger as a library: open a logger, attach the anomaly plugin, query alerts.
export { AnomalyPlugin, type AnomalyPluginOptions, type AnomalyPluginStats } from './anomaly-plugin.js';
export {
  AuditLogger,
  type AuditLoggerOptions,
  type AuditPlugin,
  type ToolCallDetails,
} from './audit-logger.js';
export { DetectionEngine, type EngineOptions, type TrainSummary } from './engine.js';
export { luhn, redactText, redactValue, type SecretKind } from './redact.js';
export { migrate, SCHEMA_VERSION } from './schema.js';
export {
  type Alert,
  type AlertQuery,
  type AlertStatus,
  AuditStore,
  type DecisionRecord,
  type Durability,
  type LoggedEvent,
  type ToolCallRecord,
} from './store.js';
