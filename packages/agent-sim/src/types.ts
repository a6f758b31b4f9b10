// The simulator's vocabulary: scenarios and attack classes, labels, regimes, the event shape and the
// fleet (shared by the classic and realistic generators).
import type { Persona } from './personas.js';

/** Attack scenarios, plus `benign-change` and `normal`. */
export const SCENARIOS = [
  'off-hours-exfiltration',
  'new-tool-shell',
  'failure-storm',
  'call-burst',
  'slow-operations',
  'weekend-activity',
  'mass-file-reads',
] as const;
export type Scenario = (typeof SCENARIOS)[number];
/**
 * What an event is: a classic scenario, a realistic attack class, `poisoning-seed` (ordinary-looking
 * calls to an attacker's domain planted in history, realistic regime), `campaign` (several agents
 * reaching one never-seen domain within an hour, realistic regime), `benign-change` or `normal`.
 */
export type Label = Scenario | AttackClass | 'poisoning-seed' | 'campaign' | 'benign-change' | 'normal';

/** Attack classes of the realistic regime. */
export const ATTACK_CLASSES = [
  'secret-read',
  'destructive-action',
  'tool-volume-exfil',
  'spread-exfil',
  'poisoned-destination',
  'daytime-burst',
  'new-destination-exfil',
] as const;
export type AttackClass = (typeof ATTACK_CLASSES)[number];

/** One injected attack: where, when, and what it used. */
export interface Incident {
  readonly label: AttackClass;
  readonly agentId: string;
  /** UTC epoch ms of its first and last event. */
  readonly start: number;
  readonly end: number;
  readonly events: number;
  /** The tool it used (bursts use the agent's ordinary mix). */
  readonly tool?: string;
  readonly destination?: string;
  /** Secret files read (secret-read). */
  readonly paths?: readonly string[];
  /** Times of the poisoning seeds planted in history (poisoned-destination). */
  readonly seededAt?: readonly number[];
  /** The agent's expected calls per hour at that hour, and the burst's (daytime-burst). */
  readonly usualRate?: number;
  readonly burstRate?: number;
}

/** `classic`: the original personas and scenarios. `realistic`: many tools, long tails, batch jobs. */
export const REGIMES = ['classic', 'realistic'] as const;
export type Regime = (typeof REGIMES)[number];

/** A simulated event in the spec's snake_case form. */
export interface SimEvent {
  event_id: string;
  agent_id: string;
  timestamp: string;
  event_type: string;
  tool_name: string;
  action?: string;
  status: string;
  success: boolean;
  duration_ms: number;
  resource_count: number;
  destination_domain?: string;
  file_path?: string;
  resource_usage: Record<string, number>;
  /** Realistic regime: the session (a task, a batch run) the call belongs to. */
  session_id?: string;
  /** Realistic regime: a database tool's table, a shell tool's full command line. */
  metadata?: Record<string, string>;
}

export interface LabelledEvent {
  readonly agentId: string;
  readonly event: SimEvent;
  readonly label: Label;
}

export interface Fleet {
  readonly seed: number;
  /** Which generator made it. */
  readonly regime: Regime;
  /** Classic: `Persona`s. Realistic: `RealisticPersona`s (a `Persona` with more detail). */
  readonly personas: readonly Persona[];
  /** Start of history and start of the live period (epoch ms, UTC midnight). */
  readonly start: number;
  readonly liveStart: number;
  readonly history: readonly LabelledEvent[];
  readonly live: readonly LabelledEvent[];
  /** Which agent each scenario (and the benign change) was injected into (the first, if several). */
  readonly injected: Readonly<Partial<Record<Scenario | AttackClass | 'benign-change', string>>>;
  /** Realistic regime: every injected attack, with its agent, span, tool and destination. */
  readonly incidents?: readonly Incident[];
  /** Realistic regime: the campaign (several agents, one never-seen domain, within an hour), if any. */
  readonly campaign?: Campaign;
}

/** Several agents reaching the same never-seen destination within an hour, with ordinary calls. */
export interface Campaign {
  readonly agentIds: readonly string[];
  readonly destination: string;
  /** UTC epoch ms of its first and last event. */
  readonly start: number;
  readonly end: number;
  readonly events: number;
}
