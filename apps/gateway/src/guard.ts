// The detection step in front of every tool call: assess, respond (allow, deny or throttle: see
// responses.ts), and after the call record its outcome. Failures follow the configured policy, never
// an accident of the code path.
import { performance } from 'node:perf_hooks';
import {
  atLeast,
  parseSecurityEvent,
  type SecurityEventInput,
  safeParseSecurityEvent,
  type ThreatAssessment,
  type ThreatDetector,
} from '@harombe/security-ml';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config.js';
import { withinDeadline } from './deadline.js';
import type { DetectionFailure, GatewayMetrics } from './metrics.js';
import { type CallResponse, type ResponseAction, ResponsePolicy } from './responses.js';

/** The gateway's decision on one call and what it rests on. */
export interface CallDecision {
  /** What happens to the call: in `shadow` mode always `allow`. */
  readonly decision: ResponseAction;
  /** What `enforce` mode does, and why; in `shadow` mode it is only logged. */
  readonly response: CallResponse;
  /** The detector's verdict, when there is one. */
  readonly assessment?: ThreatAssessment;
  /** Set when detection gave no verdict and the failure policy decided. */
  readonly failure?: { readonly reason: DetectionFailure; readonly message: string };
  /** Microseconds spent in the detection step. */
  readonly detectionMicros: number;
  /**
   * Whether the detector assessed the call against the agent's own state (its windows and
   * incidents): what a replay of the call repeats (multi-node mode).
   */
  readonly assessed: boolean;
}

/** What a call that reached its tool records into the agent's state: the completed event, learned or not. */
export interface OutcomeRecord {
  readonly completed: SecurityEventInput;
  readonly learn: boolean;
}

/** A call as the multi-node log keeps it, for {@link CallGuard.replay}. */
export interface ReplayedCall {
  /** The event as assessed before the call. */
  readonly event: SecurityEventInput;
  /** Gateway time of the call (pauses and incidents are measured in it). */
  readonly nowMs: number;
  readonly assessed: boolean;
  /** What the call recorded, or `null` (refused, or its upstream failed). */
  readonly recorded: OutcomeRecord | null;
}

class BudgetExceeded extends Error {}

export class CallGuard {
  private readonly config: GatewayConfig['detection'];
  private readonly policy: ResponsePolicy;

  constructor(
    readonly threats: ThreatDetector,
    config: Pick<GatewayConfig, 'detection' | 'responses'>,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
  ) {
    this.config = config.detection;
    this.policy = new ResponsePolicy(config.responses, config.detection.denyAt, threats);
  }

  /** Assesses a call before it is forwarded and responds, at gateway time `nowMs`. Never throws. */
  async check(agentId: string, event: SecurityEventInput, nowMs: number): Promise<CallDecision> {
    const started = performance.now();
    const micros = () => Math.round((performance.now() - started) * 1000);
    // The event is built from the agent's arguments: if it is invalid, the agent's input made
    // detection impossible, and fail-open would let it choose to bypass detection. Such a call is
    // denied whatever the failure policy (events.ts maps every argument to a valid event; this is
    // the second line, should a mapping ever miss a case).
    const parsed = safeParseSecurityEvent(event);
    if (!parsed.success) {
      return this.fail('invalid-event', parsed.error.message, micros(), { deny: true });
    }
    let assessed = false;
    try {
      // The detector shares one load per agent between concurrent calls and remembers agents the
      // store has no model for; the budget is the gateway's (a load that outlasts it still lands).
      if (!this.threats.hasModel(agentId)) {
        const ms = this.config.latencyBudgetMs;
        await withinDeadline(
          this.threats.ensureLoaded(agentId),
          ms,
          () => new BudgetExceeded(`no verdict within the ${ms} ms budget`),
        );
      }
      const assessment = this.threats.assess(agentId, parsed.data, { record: false });
      assessed = true;
      const detectionMicros = micros();
      this.metrics.detectionSeconds.observe(detectionMicros / 1e6);
      if (assessment.ml.source === 'none') {
        // No model of its own and no fleet model: the unknown-agent policy decides.
        if (this.config.unknownAgents === 'fail')
          return this.fail('no-model', assessment.explanation, detectionMicros, {
            deny: true,
            assessed,
          });
        this.metrics.detectionFailures.inc({ reason: 'no-model' });
        if (this.config.unknownAgents === 'warn')
          this.logger.warn(
            { agentId },
            'no model for this agent and no fleet model: call let through unassessed',
          );
        return {
          decision: 'allow',
          response: this.policy.failed('no-model', false),
          detectionMicros,
          assessed,
        };
      }
      if (detectionMicros > this.config.latencyBudgetMs * 1000) this.metrics.budgetOverruns.inc();
      const response = this.policy.respond(agentId, parsed.data, assessment, nowMs);
      const decision = this.decide(response, assessment.threatLevel);
      return { decision, response, assessment, detectionMicros, assessed };
    } catch (error) {
      const detectionMicros = micros();
      this.metrics.detectionSeconds.observe(detectionMicros / 1e6);
      const reason: DetectionFailure = error instanceof BudgetExceeded ? 'budget' : 'error';
      return this.fail(reason, (error as Error).message, detectionMicros, { assessed });
    }
  }

  /**
   * The decision on a call whose agent's state is not ready (multi-node mode: still loading when the
   * load budget ran out, or its load failed), by `policy`: `fleet-model` assesses it with `fleet`
   * (a detector holding only the fleet model, so the agent's own state is untouched) and denies at
   * `denyAt`, or denies when there is no fleet model; `closed` denies; `open` lets it through
   * unassessed. Never throws.
   */
  unready(
    agentId: string,
    event: SecurityEventInput,
    policy: 'fleet-model' | 'closed' | 'open',
    fleet: ThreatDetector | undefined,
  ): CallDecision {
    const started = performance.now();
    const micros = () => Math.round((performance.now() - started) * 1000);
    const parsed = safeParseSecurityEvent(event);
    if (!parsed.success) return this.fail('invalid-event', parsed.error.message, micros(), { deny: true });
    const message = 'agent state not ready within the load budget';
    if (policy !== 'fleet-model' || fleet === undefined)
      return this.fail('budget', message, micros(), { deny: policy !== 'open' });
    try {
      const assessment = fleet.assess(agentId, parsed.data, { record: false });
      if (assessment.ml.source === 'none')
        return this.fail('budget', `${message}; no fleet model`, micros(), { deny: true });
      const acts = assessment.isThreat && atLeast(assessment.threatLevel, this.config.denyAt);
      const response: CallResponse = {
        action: acts ? 'deny' : 'allow',
        reasons: acts ? ['threat'] : [],
        risks: [],
      };
      const decision = this.decide(response, assessment.threatLevel);
      return { decision, response, assessment, detectionMicros: micros(), assessed: false };
    } catch (error) {
      return this.fail('error', (error as Error).message, micros(), { deny: true });
    }
  }

  /**
   * What a call records into the agent's state once it reached its tool (`completed`: the event with
   * its outcome), or `null` when it records nothing: a call without a verdict. A call the detector
   * found worth a look (LOW and above; a threat let through in shadow mode) is recorded but not
   * learned as normal.
   */
  outcomeRecord(completed: SecurityEventInput, decision: CallDecision): OutcomeRecord | null {
    return decision.assessment ? { completed, learn: this.threats.shouldLearn(decision.assessment) } : null;
  }

  /**
   * Repeats a logged call on the agent's state exactly as the live path did: the assessment (its
   * incidents) and the response (its pauses) when it was assessed, then what it recorded. Counts
   * nothing in the metrics. This is how a replica rebuilds an agent from the log (multi-node mode).
   * @throws {ValidationError} an invalid event.
   */
  replay(agentId: string, call: ReplayedCall): void {
    if (call.assessed) {
      const event = parseSecurityEvent(call.event);
      const assessment = this.threats.assess(agentId, event, { record: false });
      if (assessment.ml.source !== 'none') this.policy.respond(agentId, event, assessment, call.nowMs);
    }
    if (call.recorded) this.threats.record(agentId, call.recorded.completed, { learn: call.recorded.learn });
  }

  /**
   * Records a call that reached its tool, completed with its duration and success (`completedEvent`),
   * into the agent's windows and baseline.
   * A call the detector called a threat (let through in shadow mode) is not learned as normal. Only
   * calls that reached the tool are recorded: an upstream outage is not the agent's doing.
   */
  recordOutcome(agentId: string, completed: SecurityEventInput, decision: CallDecision): void {
    const recorded = this.outcomeRecord(completed, decision);
    if (!recorded) return;
    try {
      this.threats.record(agentId, recorded.completed, { learn: recorded.learn });
    } catch (error) {
      this.logger.error({ agentId, err: error }, 'recording the outcome of a tool call failed');
    }
  }

  private fail(
    reason: DetectionFailure,
    message: string,
    detectionMicros: number,
    options: { deny?: boolean; assessed?: boolean } = {},
  ): CallDecision {
    this.metrics.detectionFailures.inc({ reason });
    const deny = options.deny ?? this.config.failurePolicy === 'closed';
    const response = this.policy.failed(reason, deny);
    const decision = this.decide(response, 'unknown');
    return {
      decision,
      response,
      failure: { reason, message },
      detectionMicros,
      assessed: options.assessed === true,
    };
  }

  /** Applies the mode to what enforcement would do, and counts the decision. */
  private decide(response: CallResponse, level: string): ResponseAction {
    const decision = this.config.mode === 'enforce' ? response.action : 'allow';
    const label = response.action !== decision ? `shadow-${response.action}` : decision;
    this.metrics.decisions.inc({ level, decision: label });
    if (decision === 'deny') this.metrics.denials.inc({ reason: response.reasons[0] ?? 'threat' });
    if (decision === 'throttle') this.metrics.throttles.inc();
    return decision;
  }
}
