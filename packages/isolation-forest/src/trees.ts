// Isolation trees stored flat: two typed arrays hold every node of every tree. A node's `meta`
// word says what it is. A leaf has a negative word, ~size (its training points); `value` is its
// path length depth + c(size). A split has (left - node) << featureBits | feature, and `value` is
// its threshold: the children are `left` and `left + 1` (points with x[feature] <= threshold go
// left). One word instead of three arrays (feature, left, leaf size): a descent touches two cache
// lines per node, and a node takes 12 bytes.
import { ForestInputError } from './errors.js';
import { averagePathLength } from './path-length.js';
import type { Random } from './random.js';

/** Every node of every tree, in flat typed arrays (see the file comment for the encoding). */
export interface TreeArrays {
  readonly meta: Int32Array;
  readonly value: Float64Array;
  /** Index of each tree's root node. */
  readonly roots: Int32Array;
  /** Low bits of a split's meta word that hold its feature. */
  readonly featureBits: number;
}

/** Bits a split's meta word needs for feature indices below `nFeatures`. */
export function featureBitsFor(nFeatures: number): number {
  return Math.max(1, Math.ceil(Math.log2(nFeatures)));
}

/** A split's feature. */
export function featureOf(trees: TreeArrays, node: number): number {
  return trees.meta[node]! & ((1 << trees.featureBits) - 1);
}

/** A split's left child (the right one follows it). */
export function leftOf(trees: TreeArrays, node: number): number {
  return node + (trees.meta[node]! >> trees.featureBits);
}

/** Training points that reached a leaf. */
export function leafSizeOf(trees: TreeArrays, node: number): number {
  return ~trees.meta[node]!;
}

/** Growable storage used while building or decoding a forest. */
export class TreeBuffer {
  meta: Int32Array;
  value: Float64Array;
  length = 0;
  readonly featureBits: number;
  /** Largest left-child offset a meta word can hold. */
  private readonly maxOffset: number;

  constructor(capacity: number, nFeatures: number) {
    this.meta = new Int32Array(capacity);
    this.value = new Float64Array(capacity);
    this.featureBits = featureBitsFor(nFeatures);
    this.maxOffset = 2 ** (31 - this.featureBits) - 1;
  }

  /** Reserves `count` consecutive nodes and returns the first index. */
  allocate(count: number): number {
    const start = this.length;
    const needed = start + count;
    if (needed > this.meta.length) this.grow(Math.max(needed, this.meta.length * 2));
    this.length = needed;
    return start;
  }

  setLeaf(node: number, depth: number, size: number): void {
    this.setLeafWithPath(node, size, depth + averagePathLength(size));
  }

  /** A leaf whose path length (depth plus the expected rest for `size` points) is known. */
  setLeafWithPath(node: number, size: number, path: number): void {
    this.meta[node] = ~size;
    this.value[node] = path;
  }

  setSplit(node: number, feature: number, threshold: number, left: number): void {
    const offset = left - node;
    if (offset > this.maxOffset) {
      throw new ForestInputError(
        `trees of more than ${this.maxOffset} nodes with ${2 ** this.featureBits} features are not supported (use a smaller maxSamples)`,
      );
    }
    this.meta[node] = (offset << this.featureBits) | feature;
    this.value[node] = threshold;
  }

  finish(roots: Int32Array): TreeArrays {
    const n = this.length;
    const { featureBits } = this;
    if (n === this.meta.length) return { meta: this.meta, value: this.value, roots, featureBits };
    return { meta: this.meta.slice(0, n), value: this.value.slice(0, n), roots, featureBits };
  }

  private grow(capacity: number): void {
    const meta = new Int32Array(capacity);
    meta.set(this.meta);
    this.meta = meta;
    const value = new Float64Array(capacity);
    value.set(this.value);
    this.value = value;
  }
}

/** Scratch space reused across the trees of one fit. */
export class TreeScratch {
  /** The subsample, column-major: feature f of sample i is `columns[f * psi + i]`. */
  readonly columns: Float64Array;
  readonly order: Int32Array;
  readonly candidates: Int32Array;
  readonly stack: Int32Array;

  constructor(
    readonly psi: number,
    readonly nFeatures: number,
    maxDepth: number,
  ) {
    this.columns = new Float64Array(psi * nFeatures);
    this.order = new Int32Array(psi);
    this.candidates = new Int32Array(nFeatures);
    // Depth-first: at most one pending sibling per level, 4 ints each.
    this.stack = new Int32Array(4 * (maxDepth + 2));
  }
}

/**
 * Grows one isolation tree on the subsample in `scratch.columns` (Liu, Ting & Zhou 2008,
 * Algorithm 2): split on a feature chosen uniformly among those not constant in the node, at a
 * threshold uniform in [min, max), until the height limit or a single point. Thresholds are rounded
 * to float32 when that keeps them inside [min, max), which halves the serialized size without
 * changing the partition. Returns the root index.
 */
export function growTree(buffer: TreeBuffer, scratch: TreeScratch, maxDepth: number, random: Random): number {
  const { psi, nFeatures, columns, order, candidates, stack } = scratch;
  for (let i = 0; i < psi; i++) order[i] = i;
  for (let f = 0; f < nFeatures; f++) candidates[f] = f;
  const root = buffer.allocate(1);
  let top = 0;
  stack[top++] = root;
  stack[top++] = 0;
  stack[top++] = psi;
  stack[top++] = 0;
  while (top > 0) {
    const depth = stack[--top]!;
    const end = stack[--top]!;
    const start = stack[--top]!;
    const node = stack[--top]!;
    const size = end - start;
    if (depth >= maxDepth || size <= 1) {
      buffer.setLeaf(node, depth, size);
      continue;
    }
    // Draw features without replacement until one varies in this node.
    let remaining = nFeatures;
    let feature = -1;
    let min = 0;
    let max = 0;
    while (remaining > 0) {
      const pick = random.nextInt(remaining);
      const f = candidates[pick]!;
      const base = f * psi;
      min = columns[base + order[start]!]!;
      max = min;
      for (let i = start + 1; i < end; i++) {
        const x = columns[base + order[i]!]!;
        if (x < min) min = x;
        else if (x > max) max = x;
      }
      if (max > min) {
        feature = f;
        break;
      }
      remaining--;
      candidates[pick] = candidates[remaining]!;
      candidates[remaining] = f;
    }
    if (feature < 0) {
      buffer.setLeaf(node, depth, size);
      continue;
    }
    let threshold = min + random.nextDouble() * (max - min);
    if (threshold >= max) threshold = min;
    const narrow = Math.fround(threshold);
    if (narrow >= min && narrow < max) threshold = narrow;
    // Partition order[start, end) so points with x <= threshold come first.
    const base = feature * psi;
    let i = start;
    let j = end - 1;
    while (i <= j) {
      if (columns[base + order[i]!]! <= threshold) i++;
      else {
        const swap = order[i]!;
        order[i] = order[j]!;
        order[j] = swap;
        j--;
      }
    }
    const left = buffer.allocate(2);
    buffer.setSplit(node, feature, threshold, left);
    stack[top++] = left + 1;
    stack[top++] = i;
    stack[top++] = end;
    stack[top++] = depth + 1;
    stack[top++] = left;
    stack[top++] = start;
    stack[top++] = i;
    stack[top++] = depth + 1;
  }
  return root;
}

/** Everything a fitted forest is; what serialization stores. */
export interface FittedState {
  readonly nFeatures: number;
  readonly psi: number;
  readonly maxDepth: number;
  readonly threshold: number;
  readonly trees: TreeArrays;
}
