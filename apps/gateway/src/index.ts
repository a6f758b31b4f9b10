// The gateway as a library: embed it, test it, or benchmark it.

export { type CallRisk, CallRisks, type RiskFinding } from './call-risks.js';
export { connectAsAgent, describeResult, runExampleClient } from './client.js';
export {
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
export { DECISION_META_KEY, GATEWAY_VERSION, Gateway, type GatewayDependencies } from './gateway.js';
export { type CallDecision, CallGuard } from './guard.js';
export { StaticTokenVerifier, sha256Hex } from './identity.js';
export { GatewayMetrics } from './metrics.js';
export { type ModelSummary, prepareModels, readHistory } from './models.js';
export {
  type CallResponse,
  type ResponseAction,
  ResponsePolicy,
  type ResponseReason,
  stateDriven,
  stateFlagged,
} from './responses.js';
export { agentsFault, type UpstreamHealth } from './upstreams.js';
