// Baselines forged by someone who can write the model file: refused with a typed error naming the
// field, or loaded, in time and memory bounded by the file.
import { describe, expect, it, vi } from 'vitest';
import { Distribution } from '../src/distribution.js';
import { BaselineLearner, ModelArtifactError, type SerializedBaseline } from '../src/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MONDAY = Date.UTC(2026, 1, 2);

function trained(): BaselineLearner {
  const learner = new BaselineLearner({ windowDays: 30, minSamples: 20 });
  for (let d = 0; d < 10; d++) {
    for (let h = 9; h < 17; h++) {
      for (let k = 0; k < 3; k++) {
        learner.recordEvent('a', {
          timestamp: MONDAY + d * DAY + h * HOUR + k * 60_000,
          event_type: 'tool_call',
          tool_name: 'web_fetch',
          resource_count: 1 + k,
          duration_ms: 100 + 40 * k,
        });
      }
    }
  }
  return learner;
}

/** A deep copy of a valid snapshot, to edit. */
const snapshot = (): SerializedBaseline => JSON.parse(JSON.stringify(trained().toJSON()));

function thrown(input: unknown): unknown {
  try {
    BaselineLearner.fromJSON(input);
  } catch (error) {
    return error;
  }
  throw new Error('expected fromJSON to refuse the input');
}

/** Refusal of a snapshot whose first bucket's duration histogram has these bins. */
function withDurationBins(bins: number[]): ModelArtifactError {
  const json = snapshot();
  json.agents[0]!.buckets[0]!.duration.bins = bins;
  const error = thrown(json);
  expect(error).toBeInstanceOf(ModelArtifactError);
  return error as ModelArtifactError;
}

describe('forged histograms', () => {
  it('a huge bin index is refused naming the field (it used to size a dense histogram: seconds, gigabytes)', () => {
    const error = withDurationBins([1e9, 1]);
    expect(error.problem).toBe('schema');
    expect(error.message).toContain('field "agents.0.buckets.0.duration.bins.0"');
    expect(error.message).toContain('expected a whole bin in 0..14195, received 1000000000');
  });

  it('negative, fractional and repeated bins and non-positive weights are refused', () => {
    expect(withDurationBins([92, 1, -3, 1]).message).toContain('duration.bins.2": expected a whole bin');
    expect(withDurationBins([92.5, 1]).message).toContain('duration.bins.0": expected a whole bin');
    expect(withDurationBins([92, 1, 93, 2, 92, 1]).message).toContain(
      'duration.bins.4": bin 92 appears twice',
    );
    expect(withDurationBins([92, 0]).message).toContain('expected a positive weight for bin 92');
    expect(withDurationBins([92, 1, 93]).message).toContain('odd length');
  });

  it('bins up to the highest a finite value reaches (that of Number.MAX_VALUE) still load', () => {
    const json = snapshot();
    const bins = [...json.agents[0]!.buckets[0]!.duration.bins, 14195, 1];
    json.agents[0]!.buckets[0]!.duration.bins = bins;
    const restored = BaselineLearner.fromJSON(json);
    expect(restored.toJSON().agents[0]!.buckets[0]!.duration.bins).toEqual(bins);
    expect(
      restored.detectAnomalies('a', { timestamp: MONDAY + 10 * DAY, event_type: 'tool_call' }),
    ).not.toBeNull();
  });

  it('histograms with every possible bin load in one pass (restoring them used to be quadratic)', () => {
    const json = snapshot();
    const everyBin: number[] = [];
    for (let bin = 0; bin <= 14195; bin++) everyBin.push(bin, 1);
    const agent = json.agents[0]!;
    const template = agent.buckets.at(-1)!;
    // A full window of 30 days, every histogram of every day holding every bin.
    agent.buckets = Array.from({ length: 30 }, (_, i) => {
      const day = template.day - 29 + i;
      const histogram = () => ({ ...template.duration, count: 14196, bins: everyBin });
      return {
        ...template,
        day,
        weekday: (((template.weekday - 29 + i) % 7) + 7) % 7,
        duration: histogram(),
        resourceCount: histogram(),
        trailingCalls: histogram(),
        trailingBurst: histogram(),
        toolDurations: [['web_fetch', histogram()]],
        toolResources: [['web_fetch', histogram()]],
      };
    });
    // Counted, not timed: the quadratic restore added each bin to its histogram by searching the
    // bins already there (`addToBin`), 14,196 searches of up to 14,196 bins per histogram. Restored
    // in one pass, and the profile summed densely, nothing searches a histogram bin by bin.
    const searches = vi.spyOn(Distribution.prototype, 'addToBin');
    const restored = BaselineLearner.fromJSON(json);
    const scores = restored.detectAnomalies('a', { timestamp: MONDAY + 10 * DAY, event_type: 'tool_call' });
    expect(searches).not.toHaveBeenCalled();
    searches.mockRestore();
    expect(scores).not.toBeNull();
    expect(restored.toJSON().agents[0]!.buckets[0]!.duration.bins).toEqual(everyBin);
  }, 60_000);
});

describe('forged version tags', () => {
  it('a version nested 100,000 arrays deep is refused as a version error, as object or text (was a stack overflow)', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const error = thrown({ ...snapshot(), version: deep });
    expect(error).toBeInstanceOf(ModelArtifactError);
    expect((error as ModelArtifactError).problem).toBe('version');
    expect((error as ModelArtifactError).message).toContain('format version an array of 1 is not supported');
    const text = JSON.stringify({ ...snapshot(), version: 0 }).replace(
      '"version":0',
      `"version":${'['.repeat(100_000)}1${']'.repeat(100_000)}`,
    );
    expect((thrown(text) as ModelArtifactError).problem).toBe('version');
    expect(() => new BaselineLearner().importAgent('a', text)).toThrow(ModelArtifactError);
  });
});

describe('extreme values', () => {
  it('a learner that saw durations near the largest double reads its own snapshot back', () => {
    const learner = new BaselineLearner({ minSamples: 5 });
    for (let i = 0; i < 10; i++) {
      learner.recordEvent('a', { timestamp: i * 60_000, event_type: 'x', duration_ms: i % 2 ? 1e300 : 1 });
    }
    const restored = BaselineLearner.fromJSON(JSON.parse(JSON.stringify(learner.toJSON())));
    const event = { timestamp: 11 * 60_000, event_type: 'x', duration_ms: 1e300 };
    expect(restored.detectAnomalies('a', event)).toEqual(learner.detectAnomalies('a', event));
  });
});
