export {
  type AgentAppend,
  type AppendConflict,
  type AppendedEntry,
  type AppendOptions,
  type AppendResult,
  DEFAULT_LOG_TABLES,
  type LogEntry,
  type LogEntryInput,
  LogEntryInputSchema,
  MAX_ENTRY_KEY_LENGTH,
  PostgresAgentLog,
  type PostgresAgentLogOptions,
  type ReadOptions,
} from './agent-log.js';
export { HeadConflictError, type PostgresStoreErrorCode, VersionConflictError } from './errors.js';
export {
  type Leadership,
  type LeadershipOutcome,
  leadershipKey,
  tryLeadership,
  withLeadership,
} from './leadership.js';
export {
  DEFAULT_ARTIFACT_TABLE,
  PostgresModelStore,
  type PostgresModelStoreOptions,
  type SaveIfVersionOptions,
  type VersionedArtifact,
  type VersionedArtifactRef,
} from './model-store.js';
export {
  type ConnectionOptions,
  inTransaction,
  type SqlPool,
  type SqlQueryable,
  type SqlResult,
  type SqlSession,
} from './sql.js';
