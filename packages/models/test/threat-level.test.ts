import { describe, expect, it } from 'vitest';
import {
  atLeast,
  compareThreatLevels,
  DEFAULT_THREAT_BANDS,
  maxThreatLevel,
  THREAT_LEVELS,
  ThreatBandsSchema,
  type ThreatLevel,
  threatLevelForScore,
  threatLevelRank,
} from '../src/index.js';

describe('ThreatLevel ordering', () => {
  it('orders none < low < medium < high < critical by rank, not by string', () => {
    expect(THREAT_LEVELS.map(threatLevelRank)).toEqual([0, 1, 2, 3, 4]);
    // As strings, "critical" < "high" and "medium" > "high": the original's bug.
    expect(atLeast('critical', 'high')).toBe(true);
    expect(atLeast('medium', 'high')).toBe(false);
    expect(atLeast('high', 'high')).toBe(true);
    expect(atLeast('low', 'none')).toBe(true);
  });

  it('sorts with compareThreatLevels and finds the maximum', () => {
    const levels: ThreatLevel[] = ['high', 'none', 'critical', 'low', 'medium'];
    expect([...levels].sort(compareThreatLevels)).toEqual([...THREAT_LEVELS]);
    expect(maxThreatLevel('low', 'critical', 'medium')).toBe('critical');
    expect(maxThreatLevel()).toBe('none');
  });
});

describe('threatLevelForScore', () => {
  it('applies the spec bands: LOW < 0.7 <= MEDIUM < 0.85 <= HIGH < 0.95 <= CRITICAL', () => {
    expect(threatLevelForScore(0.1)).toBe('none');
    expect(threatLevelForScore(0.6)).toBe('low');
    expect(threatLevelForScore(0.7)).toBe('medium');
    expect(threatLevelForScore(0.849)).toBe('medium');
    expect(threatLevelForScore(0.85)).toBe('high');
    expect(threatLevelForScore(0.95)).toBe('critical');
    expect(threatLevelForScore(1)).toBe('critical');
  });

  it('takes custom bands and validates their order', () => {
    const bands = { low: 0.2, medium: 0.4, high: 0.6, critical: 0.8 };
    expect(threatLevelForScore(0.65, bands)).toBe('high');
    expect(ThreatBandsSchema.safeParse(bands).success).toBe(true);
    expect(ThreatBandsSchema.safeParse({ ...DEFAULT_THREAT_BANDS, high: 0.99 }).success).toBe(false);
  });
});
