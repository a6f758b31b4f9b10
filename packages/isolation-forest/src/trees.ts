// Isolation trees stored flat: one set of typed arrays holds every node of every tree. A node is
// a leaf when `feature[node] < 0`; then `value[node]` is its path length depth + c(size).
// Otherwise `value[node]` is the split threshold, and the children are `left[node]` and
// `left[node] + 1` (points with x[feature] <= threshold go left).
import { averagePathLength } from './path-length.js';
import type { Random } from './random.js';

/** Every node of every tree, in flat typed arrays. */
export interface TreeArrays {
  readonly feature: Int32Array;
  readonly value: Float64Array;
  readonly left: Int32Array;
  /** Training points that reached each leaf (0 for internal nodes). */
  readonly leafSize: Int32Array;
  /** Index of each tree's root node. */
  readonly roots: Int32Array;
}

/** Growable storage used while building or decoding a forest. */
export class TreeBuffer {
  feature: Int32Array;
  value: Float64Array;
  left: Int32Array;
  leafSize: Int32Array;
  length = 0;

  constructor(capacity: number) {
    this.feature = new Int32Array(capacity);
    this.value = new Float64Array(capacity);
    this.left = new Int32Array(capacity);
    this.leafSize = new Int32Array(capacity);
  }

  /** Reserves `count` consecutive nodes and returns the first index. */
  allocate(count: number): number {
    const start = this.length;
    const needed = start + count;
    if (needed > this.feature.length) this.grow(Math.max(needed, this.feature.length * 2));
    this.length = needed;
    return start;
  }

  setLeaf(node: number, depth: number, size: number): void {
    this.setLeafWithPath(node, size, depth + averagePathLength(size));
  }

  /** A leaf whose path length (depth plus the expected rest for `size` points) is known. */
  setLeafWithPath(node: number, size: number, path: number): void {
    this.feature[node] = -1;
    this.left[node] = -1;
    this.leafSize[node] = size;
    this.value[node] = path;
  }

  setSplit(node: number, feature: number, threshold: number, left: number): void {
    this.feature[node] = feature;
    this.value[node] = threshold;
    this.left[node] = left;
    this.leafSize[node] = 0;
  }

  finish(roots: Int32Array): TreeArrays {
    const n = this.length;
    if (n === this.feature.length) {
      return { feature: this.feature, value: this.value, left: this.left, leafSize: this.leafSize, roots };
    }
    return {
      feature: this.feature.slice(0, n),
      value: this.value.slice(0, n),
      left: this.left.slice(0, n),
      leafSize: this.leafSize.slice(0, n),
      roots,
    };
  }

  private grow(capacity: number): void {
    const copy = <T extends Int32Array | Float64Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.feature = copy(this.feature, new Int32Array(capacity));
    this.value = copy(this.value, new Float64Array(capacity));
    this.left = copy(this.left, new Int32Array(capacity));
    this.leafSize = copy(this.leafSize, new Int32Array(capacity));
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
