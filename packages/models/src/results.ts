// What detection returns. Each schema accepts its own JSON form back (timestamps as ISO strings),
// so results can be logged, sent and re-read.
import { z } from 'zod';
import { ThreatLevelSchema } from './threat-level.js';
import { TimestampSchema } from './timestamp.js';

const unit = z.number().min(0).max(1);
const nonNegative = z.number().min(0);

/** Why a result is what it is when no agent model scored it. */
export const ScoringSourceSchema = z.enum(['agent', 'fleet', 'none']);
export type ScoringSource = z.infer<typeof ScoringSourceSchema>;

/** The forest detector's verdict on one event (the spec's `AnomalyResult`). */
export const AnomalyResultSchema = z.object({
  agentId: z.string(),
  timestamp: TimestampSchema,
  /** Calibrated score in [0, 1]: how far into the agent's own tail the event lies. */
  anomalyScore: unit,
  isAnomaly: z.boolean(),
  threatLevel: ThreatLevelSchema,
  /** Feature → share of the anomaly attributed to it; shares sum to 1 (or all 0). */
  contributingFactors: z.record(z.string(), unit),
  /** One or two sentences naming the top factors with the agent's typical range. */
  explanation: z.string(),
  /** The uncalibrated isolation-forest score, 2^(-E[h(x)]/c(psi)). */
  rawScore: unit.optional(),
  /** Which model scored the event: the agent's own, the fleet model (cold start), or none. */
  source: ScoringSourceSchema.optional(),
});
export type AnomalyResult = z.infer<typeof AnomalyResultSchema>;

/** Windowed activity of one agent at one instant (the spec's `FeatureVector`). */
export const FeatureVectorSchema = z.object({
  agentId: z.string(),
  timestamp: TimestampSchema,
  callsPerHour: nonNegative,
  toolInvocationsPerHour: nonNegative,
  errorsPerHour: nonNegative,
  avgDurationMs: nonNegative,
  maxDurationMs: nonNegative,
  uniqueTools: nonNegative,
  uniqueDestinations: nonNegative,
  fileOperations: nonNegative,
  /** The full named vector the models see, when requested. */
  values: z.record(z.string(), z.number()).optional(),
});
export type FeatureVector = z.infer<typeof FeatureVectorSchema>;

/** Location and spread of one numeric quantity. */
export const StatisticSummarySchema = z.object({
  count: z.number().int().min(0),
  mean: z.number(),
  std: nonNegative,
  median: z.number(),
  /** Median absolute deviation. */
  mad: nonNegative,
  min: z.number(),
  max: z.number(),
});
export type StatisticSummary = z.infer<typeof StatisticSummarySchema>;

/** An agent's learned behaviour over the baseline window (the spec's `BehavioralPattern`). */
export const BehavioralPatternSchema = z.object({
  agentId: z.string(),
  /** Share of events per hour of day 0-23, in the learner's time zone; sums to 1. */
  hourlyDistribution: z.array(unit).length(24),
  /** Share of events per day of week, index 0 = Monday ... 6 = Sunday; sums to 1. */
  dailyDistribution: z.array(unit).length(7),
  resourceCount: StatisticSummarySchema,
  durationMs: StatisticSummarySchema,
  /** Event type → share of events. */
  eventTypeFrequencies: z.record(z.string(), unit),
  /** Tool name → share of events that named a tool. */
  toolFrequencies: z.record(z.string(), unit),
  /** Mean events per active hour. */
  eventsPerHour: nonNegative,
  /** Share of events that failed. */
  errorRate: unit,
});
export type BehavioralPattern = z.infer<typeof BehavioralPatternSchema>;

/** A baseline: the pattern plus what it was computed from (the spec's `BehavioralBaseline`). */
export const BehavioralBaselineSchema = z.object({
  agentId: z.string(),
  pattern: BehavioralPatternSchema,
  eventCount: z.number().int().min(0),
  firstSeen: TimestampSchema,
  lastUpdated: TimestampSchema,
  windowDays: z.number().positive(),
});
export type BehavioralBaseline = z.infer<typeof BehavioralBaselineSchema>;

/** Per-dimension baseline anomaly scores, each in [0, 1]. */
export const BaselineScoresSchema = z.object({
  temporal: unit,
  resource: unit,
  duration: unit,
  eventType: unit,
  rate: unit,
  failure: unit,
  /** A sensitive location (the catalogue) this agent has not established reading. */
  content: unit,
  /** A destination or location new to this agent (or young and rarely used), against its base rate of new ones. */
  novelty: unit,
  /** A verb (action, command, query) this tool has not run before. */
  action: unit,
  /** Bytes or other counters per call for this tool, and bytes per destination within the hour. */
  volume: unit,
  /** How many of a tool's calls within the hour went to the event's destination, beyond its usual share. */
  concentration: unit,
});
export type BaselineScores = z.infer<typeof BaselineScoresSchema>;
