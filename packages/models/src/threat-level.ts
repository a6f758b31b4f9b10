// Threat levels are ordered. The original compared level strings, so `>= HIGH` was wrong; here every
// comparison goes through a numeric rank.
import { z } from 'zod';

/** All threat levels, lowest first. */
export const THREAT_LEVELS = ['none', 'low', 'medium', 'high', 'critical'] as const;

/** How serious an anomaly is: `none < low < medium < high < critical`. */
export type ThreatLevel = (typeof THREAT_LEVELS)[number];

export const ThreatLevelSchema = z.enum(THREAT_LEVELS);

const RANK: Readonly<Record<ThreatLevel, number>> = { none: 0, low: 1, medium: 2, high: 3, critical: 4 };

/**
 * The numeric rank of a level, 0 (`none`) to 4 (`critical`).
 * @example threatLevelRank('high') // 3
 */
export function threatLevelRank(level: ThreatLevel): number {
  return RANK[level];
}

/**
 * Whether `level` is `minimum` or more serious.
 * @example atLeast('critical', 'high') // true
 * @example atLeast('medium', 'high') // false
 */
export function atLeast(level: ThreatLevel, minimum: ThreatLevel): boolean {
  return RANK[level] >= RANK[minimum];
}

/** Comparator for sorting levels, least serious first: negative, zero or positive. */
export function compareThreatLevels(a: ThreatLevel, b: ThreatLevel): number {
  return RANK[a] - RANK[b];
}

/** The most serious of the given levels (`none` for none). */
export function maxThreatLevel(...levels: readonly ThreatLevel[]): ThreatLevel {
  let best: ThreatLevel = 'none';
  for (const level of levels) if (RANK[level] > RANK[best]) best = level;
  return best;
}

/**
 * Lower bounds of each level on a calibrated score in [0, 1]. A score below `low` is `none`.
 * Defaults follow the spec: LOW < 0.7 <= MEDIUM < 0.85 <= HIGH < 0.95 <= CRITICAL.
 */
export interface ThreatBands {
  readonly low: number;
  readonly medium: number;
  readonly high: number;
  readonly critical: number;
}

export const DEFAULT_THREAT_BANDS: ThreatBands = Object.freeze({
  low: 0.5,
  medium: 0.7,
  high: 0.85,
  critical: 0.95,
});

export const ThreatBandsSchema = z
  .object({
    low: z.number().min(0).max(1),
    medium: z.number().min(0).max(1),
    high: z.number().min(0).max(1),
    critical: z.number().min(0).max(1),
  })
  .refine((b) => b.low <= b.medium && b.medium <= b.high && b.high <= b.critical, {
    message: 'expected low <= medium <= high <= critical',
  });

/**
 * The level of a calibrated score under `bands`.
 * @example threatLevelForScore(0.9) // 'high'
 * @example threatLevelForScore(0.2) // 'none'
 */
export function threatLevelForScore(score: number, bands: ThreatBands = DEFAULT_THREAT_BANDS): ThreatLevel {
  if (score >= bands.critical) return 'critical';
  if (score >= bands.high) return 'high';
  if (score >= bands.medium) return 'medium';
  if (score >= bands.low) return 'low';
  return 'none';
}

/**
 * The level of a verdict: its score's band, kept consistent with whether it is a threat (a threat is
 * at least `low`; anything that is not a threat is at most `low`). The one place a score becomes a
 * level for detectors and their combinations.
 * @example threatLevelFor(0.92, true) // 'high'
 * @example threatLevelFor(0.72, false) // 'low' (above the medium band, but not a threat)
 * @example threatLevelFor(0.3, true) // 'low' (a threat by an analyst's word)
 */
export function threatLevelFor(
  score: number,
  isThreat: boolean,
  bands: ThreatBands = DEFAULT_THREAT_BANDS,
): ThreatLevel {
  const level = threatLevelForScore(score, bands);
  if (isThreat) return level === 'none' ? 'low' : level;
  return level === 'none' ? 'none' : 'low';
}
