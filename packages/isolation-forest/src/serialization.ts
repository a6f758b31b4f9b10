// The forest on the wire: a tagged, versioned JSON object whose trees are packed into base64 typed
// arrays in preorder (one structure bit per node, then features, float32 thresholds, leaf sizes).
// A checksum over header and payload catches edits; structural checks catch the rest.
import { z } from 'zod';
import { ModelFormatError } from './errors.js';
import type { FittedState } from './forest.js';
import type { IsolationForestOptions, ResolvedOptions } from './options.js';
import { TreeBuffer } from './trees.js';

export const FOREST_FORMAT = 'harombe.isolation-forest';
export const FOREST_FORMAT_VERSION = 1;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64 text');

const SerializedForestSchema = z.object({
  format: z.literal(FOREST_FORMAT),
  version: z.literal(FOREST_FORMAT_VERSION),
  options: z.object({
    nEstimators: z.number().int().min(1),
    maxSamples: z.number().int().min(2),
    maxDepth: z.union([z.literal('auto'), z.number().int().min(1).max(64)]),
    seed: z.number().int().min(0),
    contamination: z.union([z.literal('auto'), z.number().gt(0).max(0.5)]),
  }),
  nFeatures: z.number().int().min(1).max(65535),
  psi: z.number().int().min(2),
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
      throw new ModelFormatError(
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
      throw new ModelFormatError(
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
  // The schema already checked the alphabet; a length that is not a multiple of 4 is truncation.
  if (text.length % 4 !== 0) {
    throw new ModelFormatError('truncated', `section "${section}" is not whole base64 (truncated?)`);
  }
  if (NodeBuffer) return Uint8Array.from(NodeBuffer.from(text, 'base64'));
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new ModelFormatError('truncated', `section "${section}" is not whole base64 (truncated?)`);
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
  const { feature, value, left, leafSize, roots } = state.trees;
  const fWidth = featureWidth(state.nFeatures);
  const lWidth = leafWidth(state.psi);
  const structure = new Uint8Array(Math.ceil(feature.length / 8));
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
      if (feature[node]! >= 0) {
        structure[position >> 3]! |= 1 << (position & 7);
        features.uint(feature[node]!, fWidth);
        const threshold = value[node]!;
        if (Math.fround(threshold) === threshold) thresholds.float32(threshold);
        else {
          thresholds.float32(0);
          wide.uint(internal, 4);
          wide.float64(threshold);
        }
        internal++;
        stack.push(left[node]! + 1, left[node]!);
      } else {
        leaves.uint(leafSize[node]! - 1, lWidth);
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
  const full = { ...header, threshold: state.threshold, nodeCount: feature.length };
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

function parseInput(json: unknown): unknown {
  if (typeof json !== 'string') return json;
  try {
    return JSON.parse(json);
  } catch {
    throw new ModelFormatError('truncated', 'the text is not valid JSON (truncated or not a model?)');
  }
}

export function decodeForest(input: unknown): { options: IsolationForestOptions; state: FittedState } {
  const json = parseInput(input);
  if (json === null || typeof json !== 'object' || (json as { format?: unknown }).format !== FOREST_FORMAT) {
    throw new ModelFormatError(
      'foreign',
      `expected an object with format "${FOREST_FORMAT}"; this is not a forest model`,
    );
  }
  const version = (json as { version?: unknown }).version;
  if (version !== FOREST_FORMAT_VERSION) {
    const newer = typeof version === 'number' && version > FOREST_FORMAT_VERSION;
    throw new ModelFormatError(
      'version',
      `format version ${String(version)} is not supported (this release reads version ${FOREST_FORMAT_VERSION}${newer ? '; upgrade @harombe/isolation-forest' : ''})`,
    );
  }
  const parsed = SerializedForestSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new ModelFormatError('schema', `field "${first.path.join('.')}": ${first.message}`);
  }
  const model = parsed.data;
  const sections = [
    fromBase64(model.structure, 'structure'),
    fromBase64(model.features, 'features'),
    fromBase64(model.thresholds, 'thresholds'),
    fromBase64(model.wideThresholds, 'wideThresholds'),
    fromBase64(model.leafSizes, 'leafSizes'),
  ] as const;
  const options: ResolvedOptions = model.options;
  if (sections[0].length !== Math.ceil(model.nodeCount / 8)) {
    throw new ModelFormatError(
      'truncated',
      `section "structure" has ${sections[0].length} bytes for ${model.nodeCount} nodes`,
    );
  }
  if (checksum(headerText({ ...model, options }), sections) !== model.checksum) {
    throw new ModelFormatError('tampered', 'checksum mismatch: the model was modified after it was written');
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

function rebuildTrees(model: SerializedForest, sections: readonly Uint8Array[]): FittedState['trees'] {
  const [structure, featureBytes, thresholdBytes, wideBytes, leafBytes] = sections as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  const features = new ByteReader(featureBytes, 'features');
  const thresholds = new ByteReader(thresholdBytes, 'thresholds');
  const wide = new ByteReader(wideBytes, 'wideThresholds');
  const leaves = new ByteReader(leafBytes, 'leafSizes');
  const fWidth = featureWidth(model.nFeatures);
  const lWidth = leafWidth(model.psi);
  const nTrees = model.options.nEstimators;
  const buffer = new TreeBuffer(model.nodeCount);
  const roots = new Int32Array(nTrees);
  let nextWide = wide.done ? -1 : wide.uint(4);
  let position = 0;
  let internal = 0;
  const pending: number[] = [];
  for (let t = 0; t < nTrees; t++) {
    const bad = (what: string) => new ModelFormatError('tampered', `tree ${t}: ${what}`);
    const root = buffer.allocate(1);
    roots[t] = root;
    pending.push(root, 0);
    let points = 0;
    while (pending.length > 0) {
      const depth = pending.pop()!;
      const node = pending.pop()!;
      if (position >= model.nodeCount) throw new ModelFormatError('truncated', `tree ${t} ends early`);
      const isInternal = (structure[position >> 3]! >> (position & 7)) & 1;
      position++;
      if (isInternal) {
        const f = features.uint(fWidth);
        let threshold = thresholds.float32();
        if (internal === nextWide) {
          threshold = wide.float64();
          nextWide = wide.done ? -1 : wide.uint(4);
        }
        internal++;
        if (f >= model.nFeatures) throw bad(`feature ${f} >= ${model.nFeatures}`);
        if (!Number.isFinite(threshold)) throw bad('threshold is not finite');
        if (depth >= model.maxDepth) throw bad(`split below the height limit ${model.maxDepth}`);
        const left = buffer.allocate(2);
        buffer.setSplit(node, f, threshold, left);
        pending.push(left + 1, depth + 1, left, depth + 1);
      } else {
        const size = leaves.uint(lWidth) + 1;
        points += size;
        buffer.setLeaf(node, depth, size);
      }
    }
    if (points !== model.psi) {
      throw new ModelFormatError(
        'tampered',
        `tree ${t} holds ${points} training points, expected ${model.psi}`,
      );
    }
  }
  if (position !== model.nodeCount) {
    throw new ModelFormatError(
      'tampered',
      `${model.nodeCount - position} nodes left over after ${nTrees} trees`,
    );
  }
  for (const reader of [features, thresholds, wide, leaves]) reader.expectDone();
  return buffer.finish(roots);
}
