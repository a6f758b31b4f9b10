// The gateway's Prometheus metrics, in a registry of its own (several gateways in one process, as in
// tests, do not share counters).
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * Why detection could not give a verdict. `invalid-event`: the agent's arguments made an event the
 * detector cannot take; denied whatever the failure policy.
 */
export type DetectionFailure = 'error' | 'budget' | 'no-model' | 'invalid-event';

export class GatewayMetrics {
  readonly registry = new Registry();
  /** Time of the detection step (loading the model if needed, then assessing), in seconds. */
  readonly detectionSeconds = new Histogram({
    name: 'harombe_gateway_detection_seconds',
    help: 'Time of the detection step before a tool call (model loading on demand plus assessment)',
    buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25],
    registers: [this.registry],
  });
  readonly decisions = new Counter({
    name: 'harombe_gateway_decisions_total',
    help: 'Tool-call decisions by threat level and decision (allow, deny, throttle, shadow-deny, shadow-throttle)',
    labelNames: ['level', 'decision'] as const,
    registers: [this.registry],
  });
  readonly denials = new Counter({
    name: 'harombe_gateway_denied_calls_total',
    help: 'Tool calls denied, by reason (threat, a risk of the call, or a detection failure)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly detectionFailures = new Counter({
    name: 'harombe_gateway_detection_failures_total',
    help: 'Detection steps that gave no verdict (error, latency budget exceeded, no model)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly budgetOverruns = new Counter({
    name: 'harombe_gateway_detection_budget_overruns_total',
    help: 'Assessments that returned a verdict but took longer than the latency budget',
    registers: [this.registry],
  });
  readonly throttles = new Counter({
    name: 'harombe_gateway_throttled_calls_total',
    help: 'Tool calls refused while the agent was paused for its state (calls or failures per hour)',
    registers: [this.registry],
  });
  readonly toolCalls = new Counter({
    name: 'harombe_gateway_tool_calls_total',
    help: 'Tool calls forwarded upstream, by upstream and outcome (success, failure, upstream-error)',
    labelNames: ['upstream', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly sessions = new Counter({
    name: 'harombe_gateway_sessions_total',
    help: 'MCP sessions opened',
    registers: [this.registry],
  });

  /** Multi-node mode: transactions of the call log (group commits) and the appends they carried. */
  readonly logCommits = new Counter({
    name: 'harombe_gateway_log_commits_total',
    help: 'Multi-node: call-log transactions (group commits)',
    registers: [this.registry],
  });
  readonly logAppends = new Counter({
    name: 'harombe_gateway_log_appends_total',
    help: 'Multi-node: call-log entries appended (calls and checkpoint markers)',
    registers: [this.registry],
  });
  /** Multi-node mode: appends that lost the compare-and-set on the agent's head (another replica appended). */
  readonly headConflicts = new Counter({
    name: 'harombe_gateway_log_head_conflicts_total',
    help: 'Multi-node: appends that lost the compare-and-set on the agent head (the replica caught up)',
    registers: [this.registry],
  });
  readonly agentLoads = new Counter({
    name: 'harombe_gateway_agent_loads_total',
    help: 'Multi-node: agent states loaded (checkpoint plus log replay), by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly replayedEntries = new Counter({
    name: 'harombe_gateway_replayed_entries_total',
    help: 'Multi-node: log entries replayed while loading or catching up',
    registers: [this.registry],
  });
  readonly checkpoints = new Counter({
    name: 'harombe_gateway_checkpoints_total',
    help: 'Multi-node: checkpoints, by result (saved, stale: another replica owns the agent now, conflict)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly retriedCalls = new Counter({
    name: 'harombe_gateway_retried_calls_total',
    help: 'Multi-node: calls answered from the log (a retry with a committed idempotency key)',
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
