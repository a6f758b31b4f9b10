// Models forged by someone who can write the model file: the checksum is recomputed (it detects
// accidents, not attackers), so only the structural checks stand between the file and the loader.
import { describe, expect, it } from 'vitest';
import { IsolationForest, ModelArtifactError, type SerializedForest } from '../src/index.js';
import { plantedOutliers } from './data.js';

const { rows } = plantedOutliers(3, 300, 5, 2);
const json = new IsolationForest({ seed: 9, nEstimators: 3 }).fit(rows).toJSON();

const SECTIONS = ['structure', 'features', 'thresholds', 'wideThresholds', 'leafSizes'] as const;

/** The model with a checksum that matches its (edited) header and sections, as a forger would write it. */
function reseal(model: SerializedForest): SerializedForest {
  const o = model.options;
  const header = [
    model.format,
    model.version,
    o.nEstimators,
    o.maxSamples,
    o.maxDepth,
    o.seed,
    o.contamination,
    model.nFeatures,
    model.psi,
    model.maxDepth,
    model.threshold,
    model.nodeCount,
  ].join('|');
  let hash = 0x811c9dc5;
  const mix = (byte: number) => {
    hash = Math.imul(hash ^ byte, 0x01000193);
  };
  for (let i = 0; i < header.length; i++) {
    mix(header.charCodeAt(i) & 0xff);
    mix(header.charCodeAt(i) >>> 8);
  }
  for (const section of SECTIONS) {
    mix(0xff);
    for (const byte of Buffer.from(model[section], 'base64')) mix(byte);
  }
  return { ...model, checksum: (hash >>> 0).toString(16).padStart(8, '0') };
}

/** What fromJSON threw (anything, typed or not). */
function thrown(input: unknown): unknown {
  try {
    IsolationForest.fromJSON(input);
  } catch (error) {
    return error;
  }
  throw new Error('expected fromJSON to refuse the input');
}

/** A one-tree forest whose tree is a single leaf holding all `psi` points (4-byte leaf sizes). */
function singleLeaf(psi: number): SerializedForest {
  const leaf = Buffer.alloc(4);
  leaf.writeUInt32LE(psi - 1);
  return reseal({
    ...json,
    options: { ...json.options, nEstimators: 1 },
    psi,
    nodeCount: 1,
    structure: Buffer.from([0]).toString('base64'),
    features: '',
    thresholds: '',
    wideThresholds: '',
    leafSizes: leaf.toString('base64'),
  });
}

describe('fromJSON refuses forged models with a typed error naming the field', () => {
  it('the fixture is resealed exactly as the format seals it', () => {
    expect(reseal(json).checksum).toBe(json.checksum);
  });

  it('nEstimators: 1e15 (was a RangeError from allocating the tree roots)', () => {
    const error = thrown(reseal({ ...json, options: { ...json.options, nEstimators: 1e15 } }));
    expect(error).toBeInstanceOf(ModelArtifactError);
    expect((error as ModelArtifactError).problem).toBe('schema');
    expect((error as ModelArtifactError).message).toContain('"options.nEstimators"');
  });

  it('more trees than nodes, before allocating anything per tree', () => {
    const error = thrown(reseal({ ...json, options: { ...json.options, nEstimators: 50_000 } }));
    expect(error).toBeInstanceOf(ModelArtifactError);
    expect((error as ModelArtifactError).message).toContain(
      `"options.nEstimators": 50000 trees, but only ${json.nodeCount} nodes`,
    );
  });

  it('psi beyond what a forest can be fitted with (was a RangeError from its path-length table)', () => {
    const error = thrown(singleLeaf(2 ** 32));
    expect(error).toBeInstanceOf(ModelArtifactError);
    expect((error as ModelArtifactError).problem).toBe('schema');
    expect((error as ModelArtifactError).message).toContain('"psi"');
    expect(
      (thrown(reseal({ ...json, options: { ...json.options, seed: 2 ** 40 } })) as Error).message,
    ).toContain('"options.seed"');
  });

  it('a version tag nested 100,000 arrays deep, as an object or as JSON text (was a stack overflow)', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const error = thrown({ ...json, version: deep });
    expect(error).toBeInstanceOf(ModelArtifactError);
    expect((error as ModelArtifactError).problem).toBe('version');
    expect((error as ModelArtifactError).message).toContain('format version an array of 1 is not supported');
    const text = JSON.stringify({ ...json, version: 0 }).replace(
      '"version":0',
      `"version":${'['.repeat(100_000)}1${']'.repeat(100_000)}`,
    );
    expect((thrown(text) as ModelArtifactError).problem).toBe('version');
    expect((thrown({ ...json, version: { v: deep } }) as ModelArtifactError).problem).toBe('version');
  });

  it('a tree too large for its node word is tampering, not a fitting error', () => {
    // 65,535 features leave 15 bits for a child offset; a full tree of depth 16 needs 16.
    const depth = 16;
    const nodeCount = 2 ** (depth + 1) - 1;
    const structure = Buffer.alloc(Math.ceil(nodeCount / 8));
    let position = 0;
    const visit = (level: number) => {
      if (level < depth) structure[position >> 3]! |= 1 << (position & 7);
      position++;
      if (level < depth) {
        visit(level + 1);
        visit(level + 1);
      }
    };
    visit(0);
    const internal = 2 ** depth - 1;
    const thresholds = Buffer.alloc(4 * internal);
    for (let i = 0; i < internal; i++) thresholds.writeFloatLE(0.5, 4 * i);
    const forged = reseal({
      ...json,
      options: { ...json.options, nEstimators: 1, maxSamples: 2 ** depth, maxDepth: depth },
      nFeatures: 65_535,
      psi: 2 ** depth,
      maxDepth: depth,
      nodeCount,
      structure: structure.toString('base64'),
      features: Buffer.alloc(2 * internal).toString('base64'),
      thresholds: thresholds.toString('base64'),
      wideThresholds: '',
      leafSizes: Buffer.alloc(2 * 2 ** depth).toString('base64'),
    });
    const error = thrown(forged);
    expect(error).toBeInstanceOf(ModelArtifactError);
    expect((error as ModelArtifactError).problem).toBe('tampered');
    expect((error as ModelArtifactError).message).toContain('too many nodes for 65535 features');
  });
});

describe('a forged but consistent model loads in memory bounded by the file', () => {
  it('a single leaf claiming psi 2^31 - 1 loads, scores and explains without a table sized by psi', () => {
    const forest = IsolationForest.fromJSON(singleLeaf(2 ** 31 - 1));
    expect(forest.psi).toBe(2 ** 31 - 1);
    // Every row reaches the one leaf: h = c(psi) exactly, so the score is 2^-1.
    expect(forest.score([0, 0])).toBe(0.5);
    // Explaining too: its log2 table was sized by psi (16 GB here).
    expect(forest.explain([0, 0]).score).toBe(0.5);
  });
});
