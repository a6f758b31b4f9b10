// The gateway as a library: embed it, test it, or benchmark it.

export { type CallRisk, CallRisks, type RiskFinding } from './call-risks.js';
export { connectAsAgent, describeResult, runExampleClient } from './client.js';
export { exportedModel, foldEntry } from './cluster/fold.js';
export {
  type CallEntry,
  CallEntrySchema,
  callKey,
  type LogPayload,
  LogPayloadSchema,
} from './cluster/log-entries.js';
export { type NginxConfigOptions, type NginxRoute, nginxConfig } from './cluster/nginx.js';
export { ClusterNode, type Committed } from './cluster/node.js';
export { type SeedResult, seedClusterModels } from './cluster/seed.js';
export {
  type ClusterConfig,
  DEFAULT_DENIED_TEXT,
  DEFAULT_THROTTLED_TEXT,
  type GatewayConfig,
  type GatewayConfigInput,
  GatewayConfigSchema,
  parseGatewayConfig,
  readGatewayConfig,
} from './config.js';
export type { CallOutcomeKind, DecisionRecord, DecisionSink } from './decision-sink.js';
export {
  DEMO_AGENTS,
  type DemoStack,
  demoConfig,
  demoHistory,
  demoPersonas,
  EXAMPLE_TOOL_EVENTS,
  seedSandbox,
  startDemoStack,
  startDocsServer,
} from './demo.js';
export {
  type CallOutcome,
  completedEvent,
  type Destination,
  destinationOf,
  toolCallEvent,
  UNPARSEABLE_DESTINATION_KEY,
} from './events.js';
export {
  createExampleToolServer,
  registerExampleTools,
  startExampleToolServer,
  type ToolServerOptions,
} from './example-server.js';
export {
  DECISION_META_KEY,
  GATEWAY_VERSION,
  Gateway,
  type GatewayDependencies,
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_KEY_META_KEY,
  SIMULATED_EVENT_META_KEY,
} from './gateway.js';
export { type CallDecision, CallGuard, type OutcomeRecord, type ReplayedCall } from './guard.js';
export { StaticTokenVerifier, sha256Hex } from './identity.js';
export { GatewayMetrics } from './metrics.js';
export { createDetector, type ModelSummary, prepareModels, readHistory } from './models.js';
export {
  type CallResponse,
  type ResponseAction,
  ResponsePolicy,
  type ResponseReason,
  stateDriven,
  stateFlagged,
} from './responses.js';
export { agentsFault, type UpstreamHealth } from './upstreams.js';
