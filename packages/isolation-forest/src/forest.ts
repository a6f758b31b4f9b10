// The isolation forest: fit on a matrix, score rows, explain a score. Trees live in flat typed
// arrays (see trees.ts); scoring walks them iteratively and allocates nothing per row.
import {
  addHeapPathLengths,
  addPointerPathLengths,
  buildHeapTrees,
  type HeapTrees,
  MAX_HEAP_DEPTH,
  type SkipMask,
  sumPathLengths,
} from './batch-scoring.js';
import { ForestInputError, NotFittedError } from './errors.js';
import { type MatrixInput, type RowMajorMatrix, readRow, toRowMajor } from './matrix.js';
import { type IsolationForestOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { averagePathLength } from './path-length.js';
import { Random } from './random.js';
import { decodeForest, encodeForest, type SerializedForest } from './serialization.js';
import {
  type FittedState,
  growTree,
  leafSizeOf,
  leftOf,
  type TreeArrays,
  TreeBuffer,
  TreeScratch,
} from './trees.js';

/** Batches at least this large are scored over the padded heap copy of the trees. */
const HEAP_MIN_ROWS = 2048;

/** Out-of-bag scores of (a sample of) the training rows. */
export interface OutOfBagScores {
  /** Which rows were scored, ascending. */
  readonly rows: Int32Array;
  readonly scores: Float64Array;
}

/** A per-feature attribution of one row's score. */
export interface ForestExplanation {
  /** The row's score, identical to `score(row)`. */
  readonly score: number;
  /** Share of the isolation credited to each feature (index = column); sums to 1. */
  readonly shares: Float64Array;
}

/**
 * Isolation forest (Liu, Ting & Zhou 2008, 2012). Higher scores are more anomalous; scores are in
 * (0, 1) and 0.5 is the paper's neutral point.
 *
 * @example
 * const forest = new IsolationForest({ seed: 7 }).fit(rows);
 * forest.score([0.1, 250]); // e.g. 0.71
 */
export class IsolationForest {
  /** The validated options, defaults filled in. */
  readonly options: Readonly<ResolvedOptions>;
  private state: FittedState | undefined;
  private normaliser = 1;
  private pathFeatures = new Int32Array(0);
  private pathSizes = new Int32Array(0);
  /** What `explain` reads besides the trees, built on its first call. */
  private explainTables: ExplainTables | undefined;
  private heap: HeapTrees | undefined;
  private serialized: SerializedForest | undefined;
  private collectInBag = false;
  private lastInBag: Int32Array | undefined;

  constructor(options: IsolationForestOptions = {}) {
    this.options = Object.freeze(resolveOptions(options));
  }

  /** Whether `fit` (or `fromJSON`) has run. */
  get fitted(): boolean {
    return this.state !== undefined;
  }

  /** Number of columns the forest was fitted on. */
  get nFeatures(): number {
    return this.fittedState('nFeatures').nFeatures;
  }

  /** The subsample size actually used: min(maxSamples, rows). */
  get psi(): number {
    return this.fittedState('psi').psi;
  }

  /** The height limit actually used. */
  get maxDepth(): number {
    return this.fittedState('maxDepth').maxDepth;
  }

  /** Total nodes over all trees (a measure of the model's size). */
  get nodeCount(): number {
    return this.fittedState('nodeCount').trees.meta.length;
  }

  /** Scores above this are outliers: 0.5 for `contamination: 'auto'`, else a training-score quantile. */
  get threshold(): number {
    return this.fittedState('threshold').threshold;
  }

  /**
   * Grows `nEstimators` trees, each on `min(maxSamples, rows)` rows drawn without replacement.
   * Complexity O(nEstimators * psi * log psi) plus, for a numeric contamination, scoring the rows.
   * @throws {ForestInputError} fewer than 2 rows, ragged rows, NaN or infinite values (names row and column).
   */
  fit(rows: MatrixInput): this {
    const matrix = toRowMajor(rows, 'IsolationForest.fit');
    if (matrix.rows < 2) {
      throw new ForestInputError(`IsolationForest.fit: needs at least 2 rows, received ${matrix.rows}`);
    }
    const { nEstimators, maxSamples, seed, contamination } = this.options;
    const psi = Math.min(maxSamples, matrix.rows);
    const maxDepth = this.options.maxDepth === 'auto' ? Math.ceil(Math.log2(psi)) : this.options.maxDepth;
    const inBag = this.collectInBag ? new Int32Array(nEstimators * psi) : undefined;
    const trees = buildTrees(matrix, nEstimators, psi, maxDepth, seed, inBag);
    this.install({ nFeatures: matrix.columns, psi, maxDepth, threshold: 0.5, trees });
    this.lastInBag = inBag;
    if (contamination !== 'auto') {
      const scores = this.scoreMatrix(matrix);
      scores.sort();
      this.install({ ...this.state!, threshold: upperQuantile(scores, contamination) });
    }
    return this;
  }

  /**
   * Fits like {@link fit} and also returns out-of-bag scores: each row scored only by the trees
   * whose subsample did not contain it, so the scores are not biased low by the row having shaped
   * the trees. Used to calibrate thresholds on training data. At most `maxRows` rows (a seeded
   * sample, in row order) are scored; a row in every subsample gets NaN.
   */
  fitOutOfBag(rows: MatrixInput, maxRows = Number.POSITIVE_INFINITY): OutOfBagScores {
    const matrix = toRowMajor(rows, 'IsolationForest.fitOutOfBag');
    this.collectInBag = true;
    try {
      this.fit(matrix);
    } finally {
      this.collectInBag = false;
    }
    const inBag = this.lastInBag!;
    this.lastInBag = undefined;
    const { psi, trees } = this.state!;
    const nTrees = trees.roots.length;
    const chosen = chooseRows(matrix.rows, maxRows, this.options.seed);
    const m = chosen.length;
    const position = new Int32Array(matrix.rows).fill(-1);
    for (let i = 0; i < m; i++) position[chosen[i]!] = i;
    // Each chosen row leaves out the trees whose subsample held it.
    const skip = new Uint8Array(nTrees * m);
    const counts = new Int32Array(m).fill(nTrees);
    for (let t = 0; t < nTrees; t++) {
      for (let i = 0; i < psi; i++) {
        const p = position[inBag[t * psi + i]!]!;
        if (p >= 0) {
          skip[t * m + p] = 1;
          counts[p]!--;
        }
      }
    }
    const sums = new Float64Array(m);
    // A heap copy built for this pass is not kept: it would cost every model ~1 MB.
    this.addPathLengths(m === matrix.rows ? matrix : gatherRows(matrix, chosen), sums, skip, false);
    const scores = new Float64Array(m);
    const c = averagePathLength(psi);
    for (let i = 0; i < m; i++) {
      scores[i] = counts[i]! > 0 ? 2 ** -(sums[i]! / counts[i]! / c) : Number.NaN;
    }
    return { rows: chosen, scores };
  }

  /**
   * The anomaly score 2^(-E[h(x)] / c(psi)) of one row, in (0, 1). O(nEstimators * maxDepth), no allocation.
   * @throws {ForestInputError} wrong length, NaN or infinite values.
   */
  score(row: ArrayLike<number>): number {
    const state = this.fittedState('score');
    const values = readRow(row, state.nFeatures, 'IsolationForest.score', this.rowScratch(state));
    return this.toScore(sumPathLengths(state.trees, values));
  }

  /**
   * Scores many rows; value for value equal to {@link score}. Accepts `number[][]`, a
   * `{ data, rows, columns }` row-major matrix, or a bare row-major Float64Array.
   */
  scoreBatch(rows: MatrixInput): Float64Array {
    const state = this.fittedState('scoreBatch');
    return this.scoreMatrix(toRowMajor(rows, 'IsolationForest.scoreBatch', state.nFeatures));
  }

  /** Whether the row's score is above {@link threshold}. */
  predict(row: ArrayLike<number>): boolean {
    return this.score(row) > this.threshold;
  }

  /** {@link predict} for many rows: 1 for an outlier, 0 otherwise. */
  predictBatch(rows: MatrixInput): Uint8Array {
    const scores = this.scoreBatch(rows);
    const threshold = this.threshold;
    const out = new Uint8Array(scores.length);
    for (let i = 0; i < scores.length; i++) out[i] = scores[i]! > threshold ? 1 : 0;
    return out;
  }

  /**
   * Which features isolated this row. In each tree, every split on the row's path credits its
   * feature with the bits of isolation it achieved, log2(points in the node / points in the child
   * the row went to), weighted by 1 / h(x) so that trees isolating the row quickly count most (path
   * credit in the spirit of local DIFFI, Carletti, Terzi & Susto 2023). A split that cuts the row
   * off alone earns many bits; one that sends it along with half the node earns one. Credits are
   * normalised to shares summing to 1. Costs one traversal plus a table built on first use.
   */
  explain(input: ArrayLike<number>): ForestExplanation {
    const state = this.fittedState('explain');
    const row = readRow(input, state.nFeatures, 'IsolationForest.explain', this.rowScratch(state));
    const { meta, value, roots, featureBits } = state.trees;
    const mask = (1 << featureBits) - 1;
    this.explainTables ??= buildExplainTables(state.trees, state.psi);
    const { sizes, log2 } = this.explainTables;
    const psi = state.psi;
    const credit = new Float64Array(state.nFeatures);
    // Four trees descend together, each recording its path; the credit is then added tree by tree,
    // step by step: the same additions in the same order as one tree at a time. (`score` walks eight
    // branch-free; here that measured no faster: the cost is in the recording and the crediting.)
    const paths = this.pathFeatures;
    const pathSizes = this.pathSizes;
    const stride = state.maxDepth + 1;
    let sum = 0;
    let t = 0;
    for (; t + 4 <= roots.length; t += 4) {
      let a = roots[t]!;
      let b = roots[t + 1]!;
      let c = roots[t + 2]!;
      let d = roots[t + 3]!;
      let ma = meta[a]!;
      let mb = meta[b]!;
      let mc = meta[c]!;
      let md = meta[d]!;
      let sa = 0;
      let sb = stride;
      let sc = 2 * stride;
      let sd = 3 * stride;
      while ((ma & mb & mc & md) >= 0) {
        if (ma >= 0) {
          a += (ma >> featureBits) + (((row[ma & mask]! > value[a]!) as unknown as number) | 0);
          paths[sa] = ma & mask;
          pathSizes[sa++] = sizes[a]!;
          ma = meta[a]!;
        }
        if (mb >= 0) {
          b += (mb >> featureBits) + (((row[mb & mask]! > value[b]!) as unknown as number) | 0);
          paths[sb] = mb & mask;
          pathSizes[sb++] = sizes[b]!;
          mb = meta[b]!;
        }
        if (mc >= 0) {
          c += (mc >> featureBits) + (((row[mc & mask]! > value[c]!) as unknown as number) | 0);
          paths[sc] = mc & mask;
          pathSizes[sc++] = sizes[c]!;
          mc = meta[c]!;
        }
        if (md >= 0) {
          d += (md >> featureBits) + (((row[md & mask]! > value[d]!) as unknown as number) | 0);
          paths[sd] = md & mask;
          pathSizes[sd++] = sizes[d]!;
          md = meta[d]!;
        }
      }
      sum += addCredit(credit, paths, pathSizes, 0, sa, value[a]!, log2, psi);
      sum += addCredit(credit, paths, pathSizes, stride, sb, value[b]!, log2, psi);
      sum += addCredit(credit, paths, pathSizes, 2 * stride, sc, value[c]!, log2, psi);
      sum += addCredit(credit, paths, pathSizes, 3 * stride, sd, value[d]!, log2, psi);
    }
    for (; t < roots.length; t++) {
      let node = roots[t]!;
      let m = meta[node]!;
      let steps = 0;
      while (m >= 0) {
        node += (m >> featureBits) + (((row[m & mask]! > value[node]!) as unknown as number) | 0);
        paths[steps] = m & mask;
        pathSizes[steps++] = sizes[node]!;
        m = meta[node]!;
      }
      sum += addCredit(credit, paths, pathSizes, 0, steps, value[node]!, log2, psi);
    }
    let total = 0;
    for (let f = 0; f < credit.length; f++) total += credit[f]!;
    if (total > 0) for (let f = 0; f < credit.length; f++) credit[f]! /= total;
    else credit.fill(1 / credit.length);
    return { score: this.toScore(sum), shares: credit };
  }

  /** A versioned, JSON-safe snapshot; see {@link IsolationForest.fromJSON}. (A fitted forest never changes, so it is encoded once.) */
  toJSON(): SerializedForest {
    this.serialized ??= encodeForest(this.fittedState('toJSON'), this.options);
    return { ...this.serialized, options: { ...this.serialized.options } };
  }

  /**
   * Restores a forest from {@link toJSON} output (an object or its JSON text). Scores are
   * bit-identical to the original's.
   * @throws {ModelArtifactError} foreign, wrong-version, truncated or tampered input, saying which.
   */
  static fromJSON(json: unknown): IsolationForest {
    const { options, state } = decodeForest(json);
    const forest = new IsolationForest(options);
    forest.install(state);
    return forest;
  }

  private install(state: FittedState): void {
    this.state = state;
    this.heap = undefined;
    this.serialized = undefined;
    this.normaliser = averagePathLength(state.psi) * state.trees.roots.length;
    this.explainTables = undefined;
    this.pathFeatures = new Int32Array(4 * (state.maxDepth + 1));
    this.pathSizes = new Int32Array(4 * (state.maxDepth + 1));
  }

  private toScore(pathLengthSum: number): number {
    return 2 ** -(pathLengthSum / this.normaliser);
  }

  private fittedState(method: string): FittedState {
    if (!this.state) throw new NotFittedError(method);
    return this.state;
  }

  /** Where a row that is not a Float64Array is copied before it is scored (one per forest). */
  private scratchRow: Float64Array | undefined;

  private rowScratch(state: FittedState): Float64Array {
    if (this.scratchRow?.length !== state.nFeatures) this.scratchRow = new Float64Array(state.nFeatures);
    return this.scratchRow;
  }

  /** Scores a validated matrix (the heap copy of large batches is kept for the next). */
  private scoreMatrix(matrix: RowMajorMatrix): Float64Array {
    const sums = new Float64Array(matrix.rows);
    this.addPathLengths(matrix, sums, undefined, true);
    for (let r = 0; r < sums.length; r++) sums[r] = this.toScore(sums[r]!);
    return sums;
  }

  /**
   * Adds each row's path lengths to `sums` (but where `skip` says): pointer trees for small batches
   * and trees too deep to pad, the padded heap copy for large batches (built once and kept with
   * `keepHeap`).
   */
  private addPathLengths(
    matrix: RowMajorMatrix,
    sums: Float64Array,
    skip: SkipMask | undefined,
    keepHeap: boolean,
  ): void {
    const { trees, maxDepth } = this.state!;
    if (matrix.rows < HEAP_MIN_ROWS || maxDepth > MAX_HEAP_DEPTH) {
      addPointerPathLengths(trees, matrix, sums, skip);
      return;
    }
    const heap = this.heap ?? buildHeapTrees(trees, maxDepth);
    if (keepHeap) this.heap = heap;
    addHeapPathLengths(heap, matrix, sums, skip);
  }
}

/**
 * Credits each step of one tree's path (its features in `paths`, the sizes of the nodes it stepped
 * into in `pathSizes`, from `from` to `to`; the root holds all `psi` points) with the bits of
 * isolation it achieved, log2(points before / points after), over the path length `h`; returns `h`.
 */
function addCredit(
  credit: Float64Array,
  paths: Int32Array,
  pathSizes: Int32Array,
  from: number,
  to: number,
  h: number,
  log2: Float64Array,
  psi: number,
): number {
  if (h > 0) {
    const weight = 1 / h;
    // Sizes past the table (a psi over LOG2_TABLE_LIMIT) are computed: the same values.
    const tabled = log2.length;
    let before = psi < tabled ? log2[psi]! : Math.log2(psi);
    for (let s = from; s < to; s++) {
      const size = pathSizes[s]!;
      const after = size < tabled ? log2[size]! : Math.log2(size);
      credit[paths[s]!]! += (before - after) * weight;
      before = after;
    }
  }
  return h;
}

function buildTrees(
  matrix: RowMajorMatrix,
  nEstimators: number,
  psi: number,
  maxDepth: number,
  seed: number,
  inBag?: Int32Array,
): TreeArrays {
  const { data, rows, columns } = matrix;
  const scratch = new TreeScratch(psi, columns, maxDepth);
  const buffer = new TreeBuffer(nEstimators * Math.min(2 * psi, 2 ** (maxDepth + 1)), columns);
  const roots = new Int32Array(nEstimators);
  // A partial Fisher-Yates shuffle over one permutation draws each subsample without replacement.
  const permutation = new Int32Array(rows);
  for (let i = 0; i < rows; i++) permutation[i] = i;
  for (let t = 0; t < nEstimators; t++) {
    const random = new Random(seed, t);
    for (let i = 0; i < psi; i++) {
      const j = i + random.nextInt(rows - i);
      const picked = permutation[j]!;
      permutation[j] = permutation[i]!;
      permutation[i] = picked;
      if (inBag) inBag[t * psi + i] = picked;
      const offset = picked * columns;
      for (let f = 0; f < columns; f++) scratch.columns[f * psi + i] = data[offset + f]!;
    }
    roots[t] = growTree(buffer, scratch, maxDepth, random);
  }
  return buffer.finish(roots);
}

/** The listed rows of a matrix, as a matrix of their own. */
function gatherRows(matrix: RowMajorMatrix, rows: Int32Array): RowMajorMatrix {
  const { data, columns } = matrix;
  const out = new Float64Array(rows.length * columns);
  for (let i = 0; i < rows.length; i++) {
    out.set(data.subarray(rows[i]! * columns, (rows[i]! + 1) * columns), i * columns);
  }
  return { data: out, rows: rows.length, columns };
}

/** All rows when there are at most `maxRows`, else a seeded sample of `maxRows`, ascending. */
function chooseRows(n: number, maxRows: number, seed: number): Int32Array {
  if (n <= maxRows) return Int32Array.from({ length: n }, (_, i) => i);
  const random = new Random(seed, 0x0b);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < maxRows; i++) {
    const j = i + random.nextInt(n - i);
    const swap = all[i]!;
    all[i] = all[j]!;
    all[j] = swap;
  }
  return all.slice(0, maxRows).sort();
}

/** Training points in every node's subtree, and log2 of 0..psi. */
interface ExplainTables {
  readonly sizes: Uint16Array | Int32Array;
  readonly log2: Float64Array;
}

/** Children are allocated after their parents, so one backward pass sums leaf sizes up the tree. */
function buildExplainTables(trees: TreeArrays, psi: number): ExplainTables {
  const { meta } = trees;
  const sizes = psi < 65_536 ? new Uint16Array(meta.length) : new Int32Array(meta.length);
  for (let node = meta.length - 1; node >= 0; node--) {
    if (meta[node]! < 0) sizes[node] = leafSizeOf(trees, node);
    else {
      const l = leftOf(trees, node);
      sizes[node] = sizes[l]! + sizes[l + 1]!;
    }
  }
  // psi comes from a model that may be forged: it must not size an allocation on its own.
  const tabled = Math.min(psi, LOG2_TABLE_LIMIT) + 1;
  return { sizes, log2: Float64Array.from({ length: tabled }, (_, n) => Math.log2(n)) };
}

/** Subtree sizes whose log2 is tabled for explanations (psi 256 by default). */
const LOG2_TABLE_LIMIT = 65_536;

/** The value exceeded by a `share` of sorted scores, interpolated linearly (as numpy's percentile). */
function upperQuantile(sorted: Float64Array, share: number): number {
  const position = (1 - share) * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const fraction = position - below;
  return sorted[below]! + (sorted[above]! - sorted[below]!) * fraction;
}
