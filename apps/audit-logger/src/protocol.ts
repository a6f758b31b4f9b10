// Messages between the anomaly plugin and its detection worker.
import type { EngineOptions, FeedbackItem } from './engine.js';
import type { DecisionRecord } from './store.js';

export interface WorkerData {
  readonly engine: EngineOptions;
  /** Train actors without a saved model from the log at start-up. */
  readonly trainOnStart: boolean;
  /** Send back every decision, not only threats and failures. */
  readonly recordAllDecisions: boolean;
}

export type WorkerRequest =
  /** Events to assess, by row id (the worker reads them from the database), in this order. */
  | { readonly type: 'assess'; readonly rows: readonly number[] }
  | { readonly type: 'feedback'; readonly items: readonly FeedbackItem[] }
  | { readonly type: 'retrain' }
  | { readonly type: 'close' };

export type WorkerReply =
  | { readonly type: 'ready'; readonly loaded: string[]; readonly trained: string[] }
  | {
      readonly type: 'decisions';
      /** How many events of the request were processed (all of them). */
      readonly processed: number;
      readonly decisions: DecisionRecord[];
    }
  | { readonly type: 'feedback-applied'; readonly alertIds: number[] }
  | {
      readonly type: 'retrained';
      readonly trained: string[];
      readonly skipped: Array<{ actor: string; reason: string }>;
    }
  | { readonly type: 'error'; readonly request: string; readonly message: string };
