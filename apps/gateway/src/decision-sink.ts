// Where the gateway writes every call and what it decided, for an audit log: an interface the
// deployment fills in (the audit logger's SQLite store, a queue, a file). The gateway does not depend
// on the audit logger (apps stand on one floor: tooling/check-architecture.mjs); the README shows the
// wiring.
import type { DetectionMode, SecurityEventInput, ThreatLevel } from '@harombe/security-ml';
import type { CallResponse, ResponseAction } from './responses.js';

/** How a call ended: it ran (`success`, `tool-error`), the upstream failed it, or it was refused. */
export type CallOutcomeKind = 'success' | 'tool-error' | 'upstream-error' | 'not-forwarded';

/** One tool call and what the gateway did with it. */
export interface DecisionRecord {
  /**
   * The call's event (snake_case, as the audit logger and the detector take it): with its duration
   * and success when it reached the tool, as assessed before the call otherwise.
   */
  readonly event: SecurityEventInput;
  /** The call's arguments as the agent sent them (redact before storing; the audit logger does). */
  readonly arguments: Record<string, unknown>;
  readonly agentId: string;
  readonly sessionId?: string;
  readonly eventId: string;
  readonly tool: string;
  readonly upstream: string;
  readonly mode: DetectionMode;
  /** What happened to the call (in shadow mode always `allow`). */
  readonly decision: ResponseAction;
  /** What enforce mode does and why: reasons, risks, `retryAfterSeconds`. */
  readonly response: CallResponse;
  readonly outcome: CallOutcomeKind;
  /** The detector's verdict, when there is one. */
  readonly assessment?: {
    readonly threatLevel: ThreatLevel;
    readonly threatScore: number;
    readonly tailProbability: number;
    readonly isThreat: boolean;
    readonly coldStart: boolean;
    readonly explanation: string;
  };
  /** Why detection gave no verdict, when it did not. */
  readonly failure?: { readonly reason: string; readonly message: string };
}

/**
 * Receives every call's record once the call is decided and, if forwarded, done. The gateway awaits
 * it before answering the agent (so a committed audit row precedes the answer); an error it throws
 * or rejects with is logged and changes nothing for the call.
 */
export interface DecisionSink {
  onDecision(record: DecisionRecord): void | Promise<void>;
}
