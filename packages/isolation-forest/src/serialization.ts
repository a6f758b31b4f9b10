// The forest on the wire: a tagged, versioned JSON object whose trees are packed into base64 typed
// arrays in preorder (one structure bit per node, then features, float32 thresholds, leaf sizes).
// A checksum over header and payload catches edits; structural checks catch the rest.
import { readTagged } from '@harombe/models';
import { z } from 'zod';
import { ForestInputError, forestModelError } from './errors.js';
import {
  type IsolationForestOptions,
  IsolationForestOptionsSchema,
  type ResolvedOptions,
} from './options.js';
import { averagePathLength } from './path-length.js';
import { type FittedState, featureOf, leafSizeOf, leftOf, TreeBuffer } from './trees.js';

export const FOREST_FORMAT = 'harombe.isolation-forest';
export const FOREST_FORMAT_VERSION = 1;

// Base64 sections are checked when decoded (canonical text only): a regex over 60 KB cost more
// than the rest of loading together.
const base64 = z.string();

// Header numbers are bounded as the options a forest is fitted with are (one table, `options.ts`),
// so a forged model is refused by the schema, naming the field, before anything is sized by them.
const fitted = IsolationForestOptionsSchema.shape;

const SerializedForestSchema = z.object({
  format: z.literal(FOREST_FORMAT),
  version: z.literal(FOREST_FORMAT_VERSION),
  options: z.object({
    nEstimators: fitted.nEstimators.unwrap(),
    maxSamples: fitted.maxSamples.unwrap(),
    maxDepth: fitted.maxDepth.unwrap(),
    seed: fitted.seed.unwrap(),
    contamination: fitted.contamination.unwrap(),
  }),
  nFeatures: z.number().int().min(1).max(65535),
  // psi = min(maxSamples, rows) when fitted.
  psi: fitted.maxSamples.unwrap(),
  maxDepth: z.number().int().min(1).max(64),
  threshold: z.number().min(0).max(1),
  nodeCount: z.number().int().min(1),
  structure: base64,
  features: base64,
  thresholds: base64,
  wideThresholds: base64,
  leafSizes: base64,
  checksum: z.string().regex(/^[0-9a-f]{8}$/),
});

/** The JSON form of a fitted forest (see `IsolationForest.toJSON`). */
export type SerializedForest = z.infer<typeof SerializedForestSchema>;

function featureWidth(nFeatures: number): 1 | 2 {
  return nFeatures <= 256 ? 1 : 2;
}

function leafWidth(psi: number): 1 | 2 | 4 {
  if (psi <= 256) return 1;
  return psi <= 65536 ? 2 : 4;
}

/** Little-endian writer of a byte section. */
class ByteWriter {
  private bytes = new Uint8Array(64);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private reserve(n: number): number {
    if (this.length + n > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
      bigger.set(this.bytes);
      this.bytes = bigger;
      this.view = new DataView(bigger.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  uint(value: number, width: 1 | 2 | 4): void {
    const at = this.reserve(width);
    if (width === 1) this.view.setUint8(at, value);
    else if (width === 2) this.view.setUint16(at, value, true);
    else this.view.setUint32(at, value, true);
  }

  // `reserve` may replace the view, so it runs before the view is read.
  float32(value: number): void {
    const at = this.reserve(4);
    this.view.setFloat32(at, value, true);
  }

  float64(value: number): void {
    const at = this.reserve(8);
    this.view.setFloat64(at, value, true);
  }

  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/** Little-endian reader that reports running past the end as truncation. */
class ByteReader {
  private readonly view: DataView;
  private at = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly section: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private take(n: number): number {
    if (this.at + n > this.bytes.length) {
      throw forestModelError(
        'truncated',
        `section "${this.section}" ends early (${this.bytes.length} bytes)`,
      );
    }
    const at = this.at;
    this.at += n;
    return at;
  }

  uint(width: 1 | 2 | 4): number {
    const at = this.take(width);
    if (width === 1) return this.view.getUint8(at);
    return width === 2 ? this.view.getUint16(at, true) : this.view.getUint32(at, true);
  }

  float32(): number {
    return this.view.getFloat32(this.take(4), true);
  }

  float64(): number {
    return this.view.getFloat64(this.take(8), true);
  }

  get done(): boolean {
    return this.at === this.bytes.length;
  }

  expectDone(): void {
    if (!this.done) {
      throw forestModelError(
        'tampered',
        `section "${this.section}" has ${this.bytes.length - this.at} extra bytes`,
      );
    }
  }
}

const CHUNK = 0x8000;

/** Node's Buffer when present (much faster), else btoa/atob, so the package also runs in browsers. */
const NodeBuffer = (
  globalThis as {
    Buffer?: {
      from(data: Uint8Array | string, encoding?: string): Uint8Array & { toString(encoding: string): string };
    };
  }
).Buffer;

function toBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes).toString('base64');
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

function fromBase64(text: string, section: string): Uint8Array {
  // A length that is not a multiple of 4 is truncation; other damage shows as text that is not the
  // canonical encoding of what it decodes to (Node's decoder skips foreign characters silently).
  if (text.length % 4 !== 0) {
    throw forestModelError('truncated', `section "${section}" is not whole base64 (truncated?)`);
  }
  if (NodeBuffer) {
    const bytes = Uint8Array.from(NodeBuffer.from(text, 'base64'));
    if (NodeBuffer.from(bytes).toString('base64') !== text) {
      throw forestModelError('schema', `field "${section}": expected base64 text`);
    }
    return bytes;
  }
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw forestModelError('truncated', `section "${section}" is not whole base64 (truncated?)`);
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** FNV-1a (32-bit) over the header text and every section: detects edits, not an attacker. */
function checksum(header: string, sections: readonly Uint8Array[]): string {
  let hash = 0x811c9dc5;
  const mix = (byte: number) => {
    hash = Math.imul(hash ^ byte, 0x01000193);
  };
  for (let i = 0; i < header.length; i++) {
    const code = header.charCodeAt(i);
    mix(code & 0xff);
    mix(code >>> 8);
  }
  for (const section of sections) {
    mix(0xff);
    for (let i = 0; i < section.length; i++) mix(section[i]!);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

function headerText(h: {
  options: ResolvedOptions;
  nFeatures: number;
  psi: number;
  maxDepth: number;
  threshold: number;
  nodeCount: number;
}): string {
  const o = h.options;
  return [
    FOREST_FORMAT,
    FOREST_FORMAT_VERSION,
    o.nEstimators,
    o.maxSamples,
    o.maxDepth,
    o.seed,
    o.contamination,
    h.nFeatures,
    h.psi,
    h.maxDepth,
    h.threshold,
    h.nodeCount,
  ].join('|');
}

export function encodeForest(state: FittedState, options: ResolvedOptions): SerializedForest {
  const trees = state.trees;
  const { meta, value, roots } = trees;
  const fWidth = featureWidth(state.nFeatures);
  const lWidth = leafWidth(state.psi);
  const structure = new Uint8Array(Math.ceil(meta.length / 8));
  const features = new ByteWriter();
  const thresholds = new ByteWriter();
  const wide = new ByteWriter();
  const leaves = new ByteWriter();
  let position = 0;
  let internal = 0;
  const stack: number[] = [];
  for (let t = 0; t < roots.length; t++) {
    stack.push(roots[t]!);
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (meta[node]! >= 0) {
        structure[position >> 3]! |= 1 << (position & 7);
        features.uint(featureOf(trees, node), fWidth);
        const threshold = value[node]!;
        if (Math.fround(threshold) === threshold) thresholds.float32(threshold);
        else {
          thresholds.float32(0);
          wide.uint(internal, 4);
          wide.float64(threshold);
        }
        internal++;
        const left = leftOf(trees, node);
        stack.push(left + 1, left);
      } else {
        leaves.uint(leafSizeOf(trees, node) - 1, lWidth);
      }
      position++;
    }
  }
  const sections = [
    structure,
    features.result(),
    thresholds.result(),
    wide.result(),
    leaves.result(),
  ] as const;
  const header = { options, nFeatures: state.nFeatures, psi: state.psi, maxDepth: state.maxDepth };
  const full = { ...header, threshold: state.threshold, nodeCount: meta.length };
  return {
    format: FOREST_FORMAT,
    version: FOREST_FORMAT_VERSION,
    ...full,
    structure: toBase64(sections[0]),
    features: toBase64(sections[1]),
    thresholds: toBase64(sections[2]),
    wideThresholds: toBase64(sections[3]),
    leafSizes: toBase64(sections[4]),
    checksum: checksum(headerText(full), sections),
  };
}

/**
 * Reads {@link encodeForest} output (object or JSON text) back into options and fitted trees.
 * @throws {ModelArtifactError} foreign, wrong-version, malformed, truncated or tampered input.
 */
export function decodeForest(input: unknown): { options: IsolationForestOptions; state: FittedState } {
  const model = readTagged(input, {
    format: FOREST_FORMAT,
    version: FOREST_FORMAT_VERSION,
    schema: SerializedForestSchema,
    fail: forestModelError,
    describedAs: 'a forest model',
    upgrade: '@harombe/isolation-forest',
    // A forest is written in one piece: broken JSON text was cut short (or is not a model).
    invalidJson: 'truncated',
  });
  const sections = [
    fromBase64(model.structure, 'structure'),
    fromBase64(model.features, 'features'),
    fromBase64(model.thresholds, 'thresholds'),
    fromBase64(model.wideThresholds, 'wideThresholds'),
    fromBase64(model.leafSizes, 'leafSizes'),
  ] as const;
  const options: ResolvedOptions = model.options;
  if (sections[0].length !== Math.ceil(model.nodeCount / 8)) {
    throw forestModelError(
      'truncated',
      `section "structure" has ${sections[0].length} bytes for ${model.nodeCount} nodes`,
    );
  }
  if (checksum(headerText({ ...model, options }), sections) !== model.checksum) {
    throw forestModelError('tampered', 'checksum mismatch: the model was modified after it was written');
  }
  // The checksum is no seal (anyone can recompute it): the header must also fit the sections before
  // anything is sized by it. Every tree has a node, so there are no more trees than nodes.
  if (options.nEstimators > model.nodeCount) {
    throw forestModelError(
      'tampered',
      `field "options.nEstimators": ${options.nEstimators} trees, but only ${model.nodeCount} nodes`,
    );
  }
  const trees = rebuildTrees(model, sections);
  return {
    options,
    state: {
      nFeatures: model.nFeatures,
      psi: model.psi,
      maxDepth: model.maxDepth,
      threshold: model.threshold,
      trees,
    },
  };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Checks that a section holds exactly `count` values of `width` bytes. */
function expectLength(bytes: Uint8Array, count: number, width: number, section: string): void {
  const expected = count * width;
  if (bytes.length < expected) {
    throw forestModelError('truncated', `section "${section}" ends early (${bytes.length} bytes)`);
  }
  if (bytes.length > expected) {
    throw forestModelError('tampered', `section "${section}" has ${bytes.length - expected} extra bytes`);
  }
}

/** The section's little-endian values as a typed array (a view when the platform allows it). */
function decodeValues(bytes: Uint8Array, width: 1 | 2 | 4, float: boolean): ArrayLike<number> {
  if (width === 1) return bytes;
  const count = bytes.length / width;
  if (LITTLE_ENDIAN && bytes.byteOffset % width === 0) {
    if (float) return new Float32Array(bytes.buffer, bytes.byteOffset, count);
    return width === 2
      ? new Uint16Array(bytes.buffer, bytes.byteOffset, count)
      : new Uint32Array(bytes.buffer, bytes.byteOffset, count);
  }
  const reader = new ByteReader(bytes, 'values');
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = float ? reader.float32() : reader.uint(width);
  return out;
}

/** Leaf sizes whose expected path lengths are tabled while decoding (psi 256 by default). */
const PATH_TABLE_LIMIT = 65_536;

function rebuildTrees(model: SerializedForest, sections: readonly Uint8Array[]): FittedState['trees'] {
  const [structure, featureBytes, thresholdBytes, wideBytes, leafBytes] = sections as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  // The structure bits say how many internal nodes and leaves there are, hence every section's size.
  let internalCount = 0;
  for (let p = 0; p < model.nodeCount; p++) internalCount += (structure[p >> 3]! >> (p & 7)) & 1;
  const fWidth = featureWidth(model.nFeatures);
  const lWidth = leafWidth(model.psi);
  expectLength(featureBytes, internalCount, fWidth, 'features');
  expectLength(thresholdBytes, internalCount, 4, 'thresholds');
  expectLength(leafBytes, model.nodeCount - internalCount, lWidth, 'leafSizes');
  if (wideBytes.length % 12 !== 0) {
    throw forestModelError('truncated', `section "wideThresholds" ends early (${wideBytes.length} bytes)`);
  }
  const features = decodeValues(featureBytes, fWidth, false);
  const thresholds = decodeValues(thresholdBytes, 4, true);
  const leafSizes = decodeValues(leafBytes, lWidth, false);
  const wide = new ByteReader(wideBytes, 'wideThresholds');
  const nTrees = model.options.nEstimators;
  const buffer = new TreeBuffer(model.nodeCount, model.nFeatures);
  const roots = new Int32Array(nTrees);
  // Expected path lengths of leaves by size, computed once for sizes up to psi, or 65,536 at most:
  // psi is a header number, and a forged one must not size an allocation (a larger leaf, rare,
  // computes its own; the values are the same).
  const tableSize = Math.min(model.psi, PATH_TABLE_LIMIT);
  const pathOfSize = new Float64Array(tableSize + 1);
  for (let size = 1; size <= tableSize; size++) pathOfSize[size] = averagePathLength(size);
  let nextWide = wide.done ? -1 : wide.uint(4);
  let position = 0;
  let internal = 0;
  let leaf = 0;
  const pending: number[] = [];
  for (let t = 0; t < nTrees; t++) {
    const bad = (what: string) => forestModelError('tampered', `tree ${t}: ${what}`);
    const root = buffer.allocate(1);
    roots[t] = root;
    pending.push(root, 0);
    let points = 0;
    while (pending.length > 0) {
      const depth = pending.pop()!;
      const node = pending.pop()!;
      if (position >= model.nodeCount) throw forestModelError('truncated', `tree ${t} ends early`);
      const isInternal = (structure[position >> 3]! >> (position & 7)) & 1;
      position++;
      if (isInternal) {
        const f = features[internal]!;
        let threshold = thresholds[internal]!;
        if (internal === nextWide) {
          threshold = wide.float64();
          nextWide = wide.done ? -1 : wide.uint(4);
        }
        internal++;
        if (f >= model.nFeatures) throw bad(`feature ${f} >= ${model.nFeatures}`);
        if (!Number.isFinite(threshold)) throw bad('threshold is not finite');
        if (depth >= model.maxDepth) throw bad(`split below the height limit ${model.maxDepth}`);
        const left = buffer.allocate(2);
        try {
          buffer.setSplit(node, f, threshold, left);
        } catch (error) {
          // A tree too large for the node word: fitting refuses such trees, so the file was forged.
          if (error instanceof ForestInputError) throw bad(`too many nodes for ${model.nFeatures} features`);
          throw error;
        }
        pending.push(left + 1, depth + 1, left, depth + 1);
      } else {
        const size = leafSizes[leaf++]! + 1;
        if (size > model.psi) throw bad(`leaf of ${size} points in a subsample of ${model.psi}`);
        points += size;
        const path = size <= tableSize ? pathOfSize[size]! : averagePathLength(size);
        buffer.setLeafWithPath(node, size, depth + path);
      }
    }
    if (points !== model.psi) {
      throw forestModelError('tampered', `tree ${t} holds ${points} training points, expected ${model.psi}`);
    }
  }
  if (position !== model.nodeCount) {
    throw forestModelError('tampered', `${model.nodeCount - position} nodes left over after ${nTrees} trees`);
  }
  wide.expectDone();
  return buffer.finish(roots);
}
