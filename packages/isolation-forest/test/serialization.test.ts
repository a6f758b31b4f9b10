import { describe, expect, it } from 'vitest';
import { FOREST_FORMAT, IsolationForest, ModelArtifactError, type SerializedForest } from '../src/index.js';
import { plantedOutliers } from './data.js';

const { rows } = plantedOutliers(21, 2000, 20, 4);
const forest = new IsolationForest({ seed: 5, contamination: 0.02 }).fit(rows);
const json = forest.toJSON();

function refusal(input: unknown): ModelArtifactError {
  try {
    IsolationForest.fromJSON(input);
  } catch (error) {
    if (error instanceof ModelArtifactError) return error;
    throw error;
  }
  throw new Error('expected fromJSON to refuse the input');
}

/** Flips one base64 character of a section to another valid one. */
function flip(text: string, at: number): string {
  const c = text[at] === 'A' ? 'B' : 'A';
  return text.slice(0, at) + c + text.slice(at + 1);
}

describe('toJSON / fromJSON', () => {
  it('round-trips through JSON text with bit-identical scores and the same threshold', () => {
    const restored = IsolationForest.fromJSON(JSON.parse(JSON.stringify(json)));
    expect(Array.from(restored.scoreBatch(rows))).toEqual(Array.from(forest.scoreBatch(rows)));
    expect(restored.threshold).toBe(forest.threshold);
    expect(restored.options).toEqual(forest.options);
    expect(restored.explain(rows[0]!).shares).toEqual(forest.explain(rows[0]!).shares);
    // Also from the text itself, and again from the restored model.
    expect(IsolationForest.fromJSON(JSON.stringify(json)).score(rows[3]!)).toBe(forest.score(rows[3]!));
    expect(restored.toJSON()).toEqual(json);
  });

  it('keeps 100 trees at psi 256 under 100 KB of JSON', () => {
    expect(json.options.nEstimators).toBe(100);
    expect(forest.psi).toBe(256);
    expect(JSON.stringify(json).length).toBeLessThan(100 * 1024);
  });

  it('is tagged and versioned', () => {
    expect(json.format).toBe(FOREST_FORMAT);
    expect(json.version).toBe(1);
  });
});

describe('fromJSON refuses bad models with a reason', () => {
  it('foreign JSON', () => {
    expect(refusal({ hello: 'world' }).problem).toBe('foreign');
    expect(refusal(null).problem).toBe('foreign');
    expect(refusal([1, 2]).problem).toBe('foreign');
    expect(refusal({ ...json, format: 'ml-isolation-forest' }).message).toContain('not a forest model');
  });

  it('another format version', () => {
    const error = refusal({ ...json, version: 2 });
    expect(error.problem).toBe('version');
    expect(error.message).toContain('upgrade @harombe/isolation-forest');
    expect(refusal({ ...json, version: '1' }).problem).toBe('version');
  });

  it('truncated JSON text or sections', () => {
    const text = JSON.stringify(json);
    expect(refusal(text.slice(0, text.length / 2)).problem).toBe('truncated');
    expect(refusal({ ...json, structure: json.structure.slice(0, 40) }).problem).toBe('truncated');
    expect(refusal({ ...json, thresholds: json.thresholds.slice(0, -8) }).problem).toMatch(
      /truncated|tampered/,
    );
  });

  it('tampered sections and header fields', () => {
    for (const field of ['thresholds', 'features', 'leafSizes', 'structure'] as const) {
      const edited: SerializedForest = { ...json, [field]: flip(json[field], 12) };
      expect(refusal(edited).problem).toBe('tampered');
    }
    expect(refusal({ ...json, threshold: 0.9 }).problem).toBe('tampered');
    expect(refusal({ ...json, psi: 255 }).problem).toBe('tampered');
  });

  it('schema violations name the field', () => {
    const error = refusal({ ...json, nFeatures: -1 });
    expect(error.problem).toBe('schema');
    expect(error.message).toContain('nFeatures');
    expect(refusal({ ...json, checksum: 'xyz' }).message).toContain('checksum');
    expect(refusal({ ...json, leafSizes: '***' }).message).toContain('base64');
    const foreign = refusal({ ...json, leafSizes: `${json.leafSizes.slice(0, -4)}*!*!` });
    expect(foreign.problem).toBe('schema');
    expect(foreign.message).toContain('"leafSizes": expected base64');
  });

  it('is a typed error with a stable code', () => {
    const error = refusal({});
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.name).toBe('ModelArtifactError');
  });
});
