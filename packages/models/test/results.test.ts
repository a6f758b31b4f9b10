import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type AnomalyResult,
  AnomalyResultSchema,
  type BehavioralBaseline,
  BehavioralBaselineSchema,
  type FeatureVector,
  FeatureVectorSchema,
  parseOrThrow,
  readTagged,
  ValidationError,
} from '../src/index.js';

const jsonRoundTrip = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));
const summary = { count: 10, mean: 2, std: 1, median: 2, mad: 1, min: 1, max: 4 };

describe('result schemas round-trip through JSON', () => {
  it('AnomalyResult', () => {
    const result: AnomalyResult = {
      agentId: 'agent-123',
      timestamp: new Date('2026-03-04T03:00:00Z'),
      anomalyScore: 0.97,
      isAnomaly: true,
      threatLevel: 'critical',
      contributingFactors: { duration_log: 0.6, hour_sin: 0.4 },
      explanation: 'duration_ms 5000 (typical 140-460)',
      rawScore: 0.71,
      source: 'agent',
    };
    expect(AnomalyResultSchema.parse(jsonRoundTrip(result))).toEqual(result);
  });

  it('FeatureVector', () => {
    const vector: FeatureVector = {
      agentId: 'a',
      timestamp: new Date(0),
      callsPerHour: 12,
      toolInvocationsPerHour: 10,
      errorsPerHour: 1,
      avgDurationMs: 200,
      maxDurationMs: 900,
      uniqueTools: 3,
      uniqueDestinations: 2,
      fileOperations: 4,
    };
    expect(FeatureVectorSchema.parse(jsonRoundTrip(vector))).toEqual(vector);
  });

  it('BehavioralBaseline', () => {
    const baseline: BehavioralBaseline = {
      agentId: 'a',
      eventCount: 100,
      firstSeen: new Date('2026-02-01T00:00:00Z'),
      lastUpdated: new Date('2026-03-01T00:00:00Z'),
      windowDays: 30,
      pattern: {
        agentId: 'a',
        hourlyDistribution: Array.from({ length: 24 }, () => 1 / 24),
        dailyDistribution: Array.from({ length: 7 }, () => 1 / 7),
        resourceCount: summary,
        durationMs: { ...summary, mean: 200 },
        eventTypeFrequencies: { tool_call: 1 },
        toolFrequencies: {},
        eventsPerHour: 4,
        errorRate: 0.01,
      },
    };
    expect(BehavioralBaselineSchema.parse(jsonRoundTrip(baseline))).toEqual(baseline);
  });

  it('rejects scores outside [0, 1] with a typed error naming the field', () => {
    const bad = { agentId: 'a', timestamp: 0, anomalyScore: 1.5, isAnomaly: true, threatLevel: 'high' };
    const call = () =>
      parseOrThrow(AnomalyResultSchema, { ...bad, contributingFactors: {}, explanation: '' }, 'result');
    expect(call).toThrow(ValidationError);
    expect(call).toThrow('result.anomalyScore: expected a finite number <= 1, received 1.5');
  });

  it('rejects unknown threat levels', () => {
    expect(() =>
      parseOrThrow(
        AnomalyResultSchema,
        {
          agentId: 'a',
          timestamp: 0,
          anomalyScore: 0.5,
          isAnomaly: false,
          threatLevel: 'severe',
          contributingFactors: {},
          explanation: '',
        },
        'result',
      ),
    ).toThrow(/threatLevel: expected one of "none", "low", "medium", "high", "critical", received "severe"/);
  });
});

describe('readTagged', () => {
  const spec = {
    format: 'harombe.test',
    version: 1,
    schema: z.object({ format: z.literal('harombe.test'), version: z.literal(1), n: z.number() }),
    fail: (problem: string, message: string) => new Error(`${problem}: ${message}`),
  };

  it('checks JSON text, format tag, version and schema in order, through the caller’s error', () => {
    expect(readTagged('{"format":"harombe.test","version":1,"n":2}', spec)).toEqual({
      format: 'harombe.test',
      version: 1,
      n: 2,
    });
    expect(() => readTagged('{"format":', spec)).toThrow('schema: the text is not valid JSON');
    expect(() => readTagged({ format: 'other' }, spec)).toThrow(
      'foreign: expected an object with format "harombe.test"',
    );
    expect(() => readTagged({ format: 'harombe.test', version: 2 }, spec)).toThrow(
      'version: format version 2 is not supported',
    );
    expect(() => readTagged({ format: 'harombe.test', version: 1, n: 'x' }, spec)).toThrow(
      'schema: field "n"',
    );
  });

  it('says what the artifact is not, which package reads a newer version, and that broken text was cut short, where the format asks', () => {
    const described = {
      ...spec,
      describedAs: 'a test model',
      upgrade: '@harombe/test',
      invalidJson: 'truncated' as const,
    };
    expect(() => readTagged('{"format":', described)).toThrow(
      'truncated: the text is not valid JSON (truncated, or not a test model?)',
    );
    expect(() => readTagged({ format: 'other' }, described)).toThrow(
      'foreign: expected an object with format "harombe.test"; this is not a test model',
    );
    expect(() => readTagged({ format: 'harombe.test', version: 2 }, described)).toThrow(
      'version: format version 2 is not supported (this release reads 1; upgrade @harombe/test)',
    );
    expect(() => readTagged({ format: 'harombe.test', version: 0 }, described)).toThrow(
      'version: format version 0 is not supported (this release reads 1)',
    );
  });
});
