// Responses in proportion: from a verdict to what happens to the call. A call that is risky in
// itself is denied (that call only); a threat driven by the agent's state (calls or failures per
// hour) pauses the agent for a stated time; any other threat at the configured level is denied.
import { WINDOW_FEATURES } from '@harombe/features';
import {
  atLeast,
  type BaselineScores,
  BaselineScoresSchema,
  type SecurityEvent,
  sensitiveCatalogue,
  type ThreatAssessment,
  type ThreatDetector,
  type ThreatLevel,
} from '@harombe/security-ml';
import { CallRisks, FLAGGED, type RiskFinding } from './call-risks.js';
import type { ResponseConfig } from './config.js';
import type { DetectionFailure } from './metrics.js';
import { OpenIncidents } from './open-incidents.js';
import { Throttles } from './throttles.js';

/** What the gateway does with a call: forward it, refuse it, or refuse it for a stated time. */
export type ResponseAction = 'allow' | 'deny' | 'throttle';

/**
 * Why: `threat` (a threat verdict about the call), `state` (calls or failures per hour), a risk of
 * the call itself, or detection that gave no verdict (`detection-error`, ...).
 */
export type ResponseReason = 'threat' | 'state' | RiskFinding['risk'] | `detection-${DetectionFailure}`;

export interface CallResponse {
  readonly action: ResponseAction;
  readonly reasons: readonly ResponseReason[];
  /** The risks found, with what each concerns (catalogue entry, tool, destination). */
  readonly risks: readonly RiskFinding[];
  /** How long a throttle lasts (from this call), in whole seconds. */
  readonly retryAfterSeconds?: number;
  /** A state anomaly let through because its pause was served already (the windows still hold it). */
  readonly echo?: boolean;
}

/** The baseline's dimensions that describe the agent's state rather than the call. */
const STATE_DIMENSIONS = ['rate', 'failure'] as const satisfies readonly (keyof BaselineScores)[];
/** The others describe the call itself. */
const EVENT_DIMENSIONS = (Object.keys(BaselineScoresSchema.shape) as (keyof BaselineScores)[]).filter(
  (d) => !(STATE_DIMENSIONS as readonly string[]).includes(d),
);
/** The forest's features that count calls and errors per hour in the agent's activity window. */
const RATE_FEATURES = WINDOW_FEATURES.filter((f) => f.kind === 'rate').map((f) => f.name);

/** Whether calls or failures per hour are unusual, by the baseline or the forest's attribution. */
export function stateFlagged(assessment: ThreatAssessment): boolean {
  const b = assessment.baseline;
  if (b !== null && STATE_DIMENSIONS.some((d) => b[d] >= FLAGGED)) return true;
  return assessment.ml.isAnomaly && rateShare(assessment) >= 0.5;
}

/**
 * Whether a verdict rests on the agent's state alone: calls or failures per hour are unusual and
 * nothing about the call is (no other baseline dimension flagged, and the forest either did not flag
 * the event or owes at least half of it to its rate features).
 */
export function stateDriven(assessment: ThreatAssessment): boolean {
  if (!stateFlagged(assessment)) return false;
  const b = assessment.baseline;
  if (b !== null && EVENT_DIMENSIONS.some((d) => b[d] >= FLAGGED)) return false;
  return !assessment.ml.isAnomaly || rateShare(assessment) >= 0.5;
}

function rateShare(assessment: ThreatAssessment): number {
  const factors = assessment.ml.contributingFactors;
  return RATE_FEATURES.reduce((sum, name) => sum + (factors[name] ?? 0), 0);
}

const ALLOW: CallResponse = { action: 'allow', reasons: [], risks: [] };

export class ResponsePolicy {
  private readonly risks: CallRisks;
  private readonly throttles: Throttles;
  private readonly incidents: OpenIncidents;

  constructor(
    config: ResponseConfig,
    private readonly denyAt: ThreatLevel,
    threats: ThreatDetector,
  ) {
    this.risks = new CallRisks(config, sensitiveCatalogue({ add: config.sensitiveLocations }), threats);
    this.throttles = new Throttles(config.throttleSeconds * 1000);
    this.incidents = new OpenIncidents(threats, config.incidentMinutes * 60_000);
  }

  /** The response to a call with a verdict, at gateway time `nowMs`. Updates pauses and incidents. */
  respond(agentId: string, event: SecurityEvent, assessment: ThreatAssessment, nowMs: number): CallResponse {
    const risks = this.risks.of(agentId, event, assessment, () =>
      this.incidents.openBefore(agentId, assessment),
    );
    if (risks.length > 0) return { action: 'deny', reasons: risks.map((r) => r.risk), risks };
    const acts = assessment.isThreat && atLeast(assessment.threatLevel, this.denyAt);
    // A threat about the call itself is denied, paused agent or not.
    if (acts && !stateDriven(assessment)) return { action: 'deny', reasons: ['threat'], risks: [] };
    const paused = this.throttles.remainingMs(agentId, nowMs);
    if (paused > 0) return throttle(paused);
    this.throttles.noteCall(agentId, nowMs);
    if (!acts) {
      if (!stateFlagged(assessment)) this.throttles.endEpisode(agentId);
      return ALLOW;
    }
    const pauseMs = this.throttles.stateAnomaly(agentId, nowMs);
    return pauseMs > 0 ? throttle(pauseMs) : { ...ALLOW, reasons: ['state'], echo: true };
  }

  /** The response when detection gave no verdict: deny when the failure policy (or the cause) says so. */
  failed(reason: DetectionFailure, deny: boolean): CallResponse {
    return deny ? { action: 'deny', reasons: [`detection-${reason}`], risks: [] } : ALLOW;
  }
}

/** A pause of the agent's calls, `ms` from now, for its state. */
function throttle(ms: number): CallResponse {
  return { action: 'throttle', reasons: ['state'], risks: [], retryAfterSeconds: Math.ceil(ms / 1000) };
}
