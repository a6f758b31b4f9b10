// Messages between the anomaly plugin and its detection worker. The worker stores decisions and
// alerts itself (in the security database); replies carry counts and the alerts raised.
import type { ThreatLevel } from '@harombe/security-ml';
import type { RetentionOutcome } from './audit-store.js';
import type { BatchOutcome, EngineOptions, FeedbackApplied } from './engine.js';

export interface WorkerData {
  readonly engine: EngineOptions;
  /** Train actors without a saved model from the log at start-up. */
  readonly trainOnStart: boolean;
  /** Store every decision, not only threats, failures and skips. */
  readonly recordAllDecisions: boolean;
  /** Lowest threat level that raises an alert. */
  readonly alertAt: ThreatLevel;
  /** The logger's clock when the plugin attached (epoch ms): the time of decisions made at start. */
  readonly startedAt: number;
}

export type WorkerRequest =
  /** Events to assess, by row id (the worker reads them from the database), in this order; `now` is the decisions' time. */
  | { readonly type: 'assess'; readonly rows: readonly number[]; readonly now: number }
  /** Events the plugin could not queue: stored as skipped, with the reason. */
  | { readonly type: 'skip'; readonly rows: readonly number[]; readonly reason: string; readonly now: number }
  /** Assess up to `limit` events whose assessment was skipped or failed. */
  | { readonly type: 'backfill'; readonly limit: number; readonly now: number }
  /** Apply the analysts' verdicts not yet applied. */
  | { readonly type: 'feedback' }
  | { readonly type: 'retrain' }
  /** Delete what is older than `days` before the newest event. */
  | { readonly type: 'retention'; readonly days: number }
  | { readonly type: 'close' };

export type WorkerReply =
  | {
      readonly type: 'ready';
      readonly loaded: string[];
      readonly trained: string[];
      /** Events logged while detection was not running, now marked skipped (for `backfill`). */
      readonly caughtUp: number;
    }
  /** The answer to one `assess` request: every row of it was decided and stored. */
  | ({ readonly type: 'assessed'; readonly processed: number } & BatchOutcome)
  /** The answer to one `skip` request, in order. */
  | { readonly type: 'skip-recorded' }
  | ({ readonly type: 'backfilled'; readonly processed: number } & BatchOutcome)
  | ({ readonly type: 'feedback-applied' } & FeedbackApplied)
  | {
      readonly type: 'retrained';
      readonly trained: string[];
      readonly skipped: Array<{ actor: string; reason: string }>;
    }
  /** `outcome` null: the log is empty. */
  | { readonly type: 'retained'; readonly outcome: RetentionOutcome | null }
  | { readonly type: 'error'; readonly request: string; readonly message: string };
