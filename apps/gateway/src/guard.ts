// The detection step in front of every tool call: assess, decide (allow or deny), and after the call
// record its outcome. Failures follow the configured policy, never an accident of the code path.
import { performance } from 'node:perf_hooks';
import {
  atLeast,
  type SecurityEventInput,
  safeParseSecurityEvent,
  type ThreatAssessment,
  type ThreatDetector,
} from '@harombe/security-ml';
import type { Logger } from 'pino';
import type { DetectionConfig } from './config.js';
import { type CallOutcome, completedEvent } from './events.js';
import type { Decision, DetectionFailure, GatewayMetrics } from './metrics.js';

/** The gateway's decision on one call and what it rests on. */
export interface CallDecision {
  readonly decision: Decision;
  /** What `enforce` mode decides; in `shadow` mode a call that would be denied is only logged. */
  readonly wouldDeny: boolean;
  /** The detector's verdict, when there is one. */
  readonly assessment?: ThreatAssessment;
  /** Set when detection gave no verdict and the failure policy decided. */
  readonly failure?: { readonly reason: DetectionFailure; readonly message: string };
  /** Microseconds spent in the detection step. */
  readonly detectionMicros: number;
}

class BudgetExceeded extends Error {}

/** Resolves like `promise`, or rejects with BudgetExceeded after `ms`. */
function withinBudget<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BudgetExceeded(`no verdict within the ${ms} ms budget`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export class CallGuard {
  constructor(
    readonly threats: ThreatDetector,
    private readonly config: DetectionConfig,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
  ) {}

  /** Assesses a call before it is forwarded and decides. Never throws. */
  async check(agentId: string, event: SecurityEventInput): Promise<CallDecision> {
    const started = performance.now();
    const micros = () => Math.round((performance.now() - started) * 1000);
    // The event is built from the agent's arguments: if it is invalid, the agent's input made
    // detection impossible, and fail-open would let it choose to bypass detection. Such a call is
    // denied whatever the failure policy (events.ts maps every argument to a valid event; this is
    // the second line, should a mapping ever miss a case).
    const parsed = safeParseSecurityEvent(event);
    if (!parsed.success) {
      return this.fail('invalid-event', parsed.error.message, micros(), { denyAlways: true });
    }
    try {
      // The detector shares one load per agent between concurrent calls and remembers agents the
      // store has no model for; the budget is the gateway's (a load that outlasts it still lands).
      if (!this.threats.hasModel(agentId)) {
        await withinBudget(this.threats.ensureLoaded(agentId), this.config.latencyBudgetMs);
      }
      const assessment = this.threats.assess(agentId, parsed.data, { record: false });
      const detectionMicros = micros();
      this.metrics.detectionSeconds.observe(detectionMicros / 1e6);
      if (assessment.ml.source === 'none') {
        return this.fail('no-model', assessment.explanation, detectionMicros);
      }
      if (detectionMicros > this.config.latencyBudgetMs * 1000) this.metrics.budgetOverruns.inc();
      const wouldDeny = assessment.isThreat && atLeast(assessment.threatLevel, this.config.denyAt);
      const decision = this.decide(wouldDeny, assessment.threatLevel, 'threat');
      return { decision, wouldDeny, assessment, detectionMicros };
    } catch (error) {
      const detectionMicros = micros();
      this.metrics.detectionSeconds.observe(detectionMicros / 1e6);
      const reason: DetectionFailure = error instanceof BudgetExceeded ? 'budget' : 'error';
      return this.fail(reason, (error as Error).message, detectionMicros);
    }
  }

  /**
   * Records how a forwarded call went (duration, success) into the agent's windows and baseline.
   * A call the detector called a threat (let through in shadow mode) is not learned as normal.
   */
  recordOutcome(
    agentId: string,
    event: SecurityEventInput,
    decision: CallDecision,
    outcome: CallOutcome,
  ): void {
    if (!decision.assessment) return;
    try {
      this.threats.record(agentId, completedEvent(event, outcome), { learn: !decision.assessment.isThreat });
    } catch (error) {
      this.logger.error({ agentId, err: error }, 'recording the outcome of a tool call failed');
    }
  }

  private fail(
    reason: DetectionFailure,
    message: string,
    detectionMicros: number,
    options: { denyAlways?: boolean } = {},
  ): CallDecision {
    this.metrics.detectionFailures.inc({ reason });
    const wouldDeny = options.denyAlways === true || this.config.failurePolicy === 'closed';
    const decision = this.decide(wouldDeny, 'unknown', `detection-${reason}`);
    return { decision, wouldDeny, failure: { reason, message }, detectionMicros };
  }

  /** Applies the mode to what enforcement would do, and counts the decision. */
  private decide(wouldDeny: boolean, level: string, denialReason: string): Decision {
    const decision: Decision = wouldDeny && this.config.mode === 'enforce' ? 'deny' : 'allow';
    const label = wouldDeny && decision === 'allow' ? 'shadow-deny' : decision;
    this.metrics.decisions.inc({ level, decision: label });
    if (decision === 'deny') this.metrics.denials.inc({ reason: denialReason });
    return decision;
  }
}
