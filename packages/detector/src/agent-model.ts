// One agent's model: fitted features, forest, calibration table, what the forest cannot see
// (features constant in training), and the analyst's confirmed normals and anomalies.
import {
  FeatureExtractor,
  type FeatureExtractorOptions,
  type FitColumnsOptions,
  WINDOW_FEATURES,
} from '@harombe/features';
import { IsolationForest } from '@harombe/isolation-forest';
import { CompactEvents, destinationOf, directoryOf, type SecurityEvent, templatePath } from '@harombe/models';
import { z } from 'zod';
import { buildTailTable, type TailTable, tailProbability } from './calibration.js';
import { FactorDescriber } from './describe.js';

export const DETECTOR_FORMAT = 'harombe.detector';
export const DETECTOR_FORMAT_VERSION = 1;

/** What an analyst confirmed, reduced to what makes events "the same kind". */
export interface EventDescriptor {
  readonly eventType: string;
  readonly toolName: string | null;
  readonly destination: string | null;
  readonly directory: string | null;
  readonly failed: boolean;
  /** ln(1 + duration_ms), or null. */
  readonly durationLog: number | null;
  /** ln(1 + resource_count), or null. */
  readonly resourceLog: number | null;
}

/** Durations and resource counts within this log distance (x1.65) count as near-identical. */
const NEAR = 0.5;
const MAX_CONFIRMED = 256;

export function describeEvent(event: SecurityEvent): EventDescriptor {
  return {
    eventType: event.eventType,
    toolName: event.toolName ?? null,
    destination: destinationOf(event) ?? null,
    directory: event.filePath === undefined ? null : directoryOf(templatePath(event.filePath)),
    failed: !event.success,
    durationLog: event.durationMs === undefined ? null : Math.log1p(event.durationMs),
    resourceLog: event.resourceCount === undefined ? null : Math.log1p(event.resourceCount),
  };
}

const close = (a: number | null, b: number | null) =>
  a === b || (a !== null && b !== null && Math.abs(a - b) <= NEAR);
/** Resource counts are small integers: within x1.65, or within 2 of each other. */
const closeCount = (a: number | null, b: number | null) =>
  close(a, b) || (a !== null && b !== null && Math.abs(Math.expm1(a) - Math.expm1(b)) <= 2);

/** Same type, tool, destination, directory and outcome; duration within x1.65, resources within x1.65 or 2. */
export function nearIdentical(a: EventDescriptor, b: EventDescriptor): boolean {
  return (
    a.eventType === b.eventType &&
    a.toolName === b.toolName &&
    a.destination === b.destination &&
    a.directory === b.directory &&
    a.failed === b.failed &&
    close(a.durationLog, b.durationLog) &&
    closeCount(a.resourceLog, b.resourceLog)
  );
}

export interface ModelSettings {
  readonly seed: number;
  readonly nEstimators: number;
  readonly maxSamples: number;
  readonly contamination: number;
  readonly calibrationRows: number;
  readonly features: FeatureExtractorOptions;
}

export interface Scored {
  readonly vector: Float64Array;
  readonly rawScore: number;
  /** Tail probability from the forest. */
  readonly forestTail: number;
  /** Tail probability from values outside the training range (1 when none are). */
  readonly noveltyTail: number;
  /** Indices of features outside their training range, with evidence. */
  readonly novel: number[];
}

/**
 * Where each feature lived in training, and how fast its tails fall off. The forest cannot tell a
 * value just past the training maximum from one far past it (every split threshold lies inside
 * the training range), and never splits on a feature that was constant, so values outside the
 * support are scored here: P(exceeding by e) ≈ 1/(n + 1) · exp(-e / scale), per side and feature.
 */
export interface Support {
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly lowScale: Float64Array;
  readonly highScale: Float64Array;
}

/**
 * Builds the support column by column, from the training columns the feature extractor hands over
 * while fitting (one partial ordering of each column serves both).
 */
function supportBuilder(rows: number): { options: FitColumnsOptions; support: () => Support } {
  const min: number[] = [];
  const max: number[] = [];
  const lowScale: number[] = [];
  const highScale: number[] = [];
  const k = Math.max(5, Math.ceil(0.05 * rows));
  const top = Math.max(0, rows - k);
  const bottom = Math.min(rows - 1, k - 1);
  const low = Math.floor(0.05 * (rows - 1));
  const high = Math.ceil(0.95 * (rows - 1));
  const onColumn = (column: Float64Array, c: number): void => {
    // Ranks bottom and top are placed: sorting the two tails alone puts them in order (their sums
    // run in sorted order, as they always have).
    column.subarray(0, bottom + 1).sort();
    column.subarray(top).sort();
    let upper = 0;
    for (let r = top; r < rows; r++) upper += column[r]! - column[top]!;
    let lower = 0;
    for (let r = 0; r <= bottom; r++) lower += column[bottom]! - column[r]!;
    const lo = column[0]!;
    const hi = column[rows - 1]!;
    // Conservative scales: the tail's mean excess, at least half the central spread, and at least
    // a tenth of the value's magnitude (so binary flags and constants are not infinitely sharp).
    const floor = Math.max(
      0.5 * (column[high]! - column[low]!),
      0.1 * Math.max(1, Math.abs(hi), Math.abs(lo)),
    );
    min[c] = lo;
    max[c] = hi;
    highScale[c] = Math.max(upper / (rows - top), floor);
    lowScale[c] = Math.max(lower / (bottom + 1), floor);
  };
  return {
    // Minimum and maximum come from the sorted tails: no ranks of their own to select.
    options: { ranks: [low, bottom, top, high], onColumn },
    support: () => ({
      min: Float64Array.from(min),
      max: Float64Array.from(max),
      lowScale: Float64Array.from(lowScale),
      highScale: Float64Array.from(highScale),
    }),
  };
}

export class AgentModel {
  confirmedNormals: EventDescriptor[] = [];
  confirmedAnomalies: EventDescriptor[] = [];
  /** Training events kept for refits (memory only), in columns. */
  reservoir = new CompactEvents();
  pendingFeedback = 0;
  /** When the detector last used the model (its use counter), for least-recently-used eviction. */
  lastUsed = 0;
  private readonly scratch: Float64Array;
  /** How many leading features describe the event itself (the rest are window features). */
  private readonly eventFeatures: number;
  private factorDescriber: FactorDescriber | undefined;

  constructor(
    readonly agentId: string,
    readonly extractor: FeatureExtractor,
    readonly forest: IsolationForest,
    readonly table: TailTable,
    readonly support: Support,
    readonly trainingEvents: number,
  ) {
    this.scratch = new Float64Array(extractor.dimension);
    const windowNames = new Set(WINDOW_FEATURES.map((f) => f.name));
    this.eventFeatures = extractor.featureNames.filter((name) => !windowNames.has(name)).length;
  }

  /** Words for this model's attributions (built on the first explanation). */
  get describer(): FactorDescriber {
    this.factorDescriber ??= new FactorDescriber(this.extractor);
    return this.factorDescriber;
  }

  /** Fits features, forest and calibration on events (at least 2). */
  static fit(
    agentId: string,
    events: readonly SecurityEvent[] | CompactEvents,
    settings: ModelSettings,
  ): AgentModel {
    const extractor = new FeatureExtractor(settings.features);
    // The extractor keeps every event: one matrix row per event.
    const support = supportBuilder(events.length);
    const matrix = extractor.fitTransform(events, support.options);
    // psi at most half the events, so every event is out of bag for about half the trees.
    const psi = Math.max(2, Math.min(settings.maxSamples, Math.floor(matrix.rows / 2)));
    const forest = new IsolationForest({
      nEstimators: settings.nEstimators,
      maxSamples: psi,
      seed: settings.seed,
    });
    const oob = forest.fitOutOfBag(matrix, settings.calibrationRows);
    const table = buildTailTable(oob.scores, settings.contamination);
    return new AgentModel(agentId, extractor, forest, table, support.support(), matrix.rows);
  }

  /** Scores an event (the window is not changed). */
  score(event: SecurityEvent): Scored {
    const vector = this.extractor.transform(event, this.scratch);
    const rawScore = this.forest.score(vector);
    const forestTail = tailProbability(this.table, rawScore);
    const { min, max, lowScale, highScale } = this.support;
    // Window features describe context, not the event; the forest and the baseline's rate and
    // failure dimensions judge them, so exceedance looks at the event's own features only.
    const columns = this.eventFeatures;
    // Union bound over both sides of every feature.
    const prior = (2 * columns) / (this.trainingEvents + 1);
    let strongest = 0;
    const novel: number[] = [];
    for (let c = 0; c < columns; c++) {
      const x = vector[c]!;
      const excess =
        x > max[c]! ? (x - max[c]!) / highScale[c]! : x < min[c]! ? (min[c]! - x) / lowScale[c]! : 0;
      if (excess > 0) {
        novel.push(c);
        if (excess > strongest) strongest = excess;
      }
    }
    const noveltyTail = novel.length === 0 ? 1 : Math.min(1, prior * Math.exp(-strongest));
    return { vector, rawScore, forestTail, noveltyTail, novel };
  }

  matchesConfirmedNormal(descriptor: EventDescriptor): boolean {
    return this.confirmedNormals.some((d) => nearIdentical(d, descriptor));
  }

  matchesConfirmedAnomaly(descriptor: EventDescriptor): boolean {
    return this.confirmedAnomalies.some((d) => nearIdentical(d, descriptor));
  }

  confirm(descriptor: EventDescriptor, isAnomaly: boolean): void {
    const list = isAnomaly ? this.confirmedAnomalies : this.confirmedNormals;
    const other = isAnomaly ? this.confirmedNormals : this.confirmedAnomalies;
    const remaining = other.filter((d) => !nearIdentical(d, descriptor));
    if (isAnomaly) this.confirmedNormals = remaining;
    else this.confirmedAnomalies = remaining;
    list.push(descriptor);
    if (list.length > MAX_CONFIRMED) list.shift();
  }

  /** Rough bytes held, for the cache budget. */
  estimatedBytes(): number {
    const nodes = this.forest.nodeCount;
    // 12 bytes a node, and up to 4 more for the tables of its first explanation.
    return nodes * 16 + this.reservoir.length * 200 + this.extractor.dimension * 64 + 16_384;
  }

  toJSON(): SerializedDetectorModel {
    return {
      format: DETECTOR_FORMAT,
      version: DETECTOR_FORMAT_VERSION,
      agentId: this.agentId,
      trainingEvents: this.trainingEvents,
      extractor: this.extractor.toJSON(),
      forest: this.forest.toJSON(),
      calibration: {
        quantiles: Array.from(this.table.quantiles),
        count: this.table.count,
        tailScale: this.table.tailScale,
      },
      support: {
        min: Array.from(this.support.min),
        max: Array.from(this.support.max),
        lowScale: Array.from(this.support.lowScale),
        highScale: Array.from(this.support.highScale),
      },
      confirmedNormals: this.confirmedNormals,
      confirmedAnomalies: this.confirmedAnomalies,
    };
  }

  static fromJSON(json: SerializedDetectorModel): AgentModel {
    const model = new AgentModel(
      json.agentId,
      FeatureExtractor.fromJSON(json.extractor),
      IsolationForest.fromJSON(json.forest),
      {
        quantiles: Float64Array.from(json.calibration.quantiles),
        count: json.calibration.count,
        tailScale: json.calibration.tailScale,
      },
      {
        min: Float64Array.from(json.support.min),
        max: Float64Array.from(json.support.max),
        lowScale: Float64Array.from(json.support.lowScale),
        highScale: Float64Array.from(json.support.highScale),
      },
      json.trainingEvents,
    );
    model.confirmedNormals = [...json.confirmedNormals];
    model.confirmedAnomalies = [...json.confirmedAnomalies];
    return model;
  }
}

const DescriptorSchema = z.object({
  eventType: z.string(),
  toolName: z.string().nullable(),
  destination: z.string().nullable(),
  directory: z.string().nullable(),
  failed: z.boolean(),
  durationLog: z.number().nullable(),
  resourceLog: z.number().nullable(),
});

export const SerializedDetectorModelSchema = z.object({
  format: z.literal(DETECTOR_FORMAT),
  version: z.literal(DETECTOR_FORMAT_VERSION),
  agentId: z.string().min(1),
  trainingEvents: z.number().int().min(2),
  extractor: z.unknown(),
  forest: z.unknown(),
  calibration: z.object({
    quantiles: z.array(z.number()).min(1),
    count: z.number().int().min(1),
    tailScale: z.number().positive(),
  }),
  support: z.object({
    min: z.array(z.number()),
    max: z.array(z.number()),
    lowScale: z.array(z.number().positive()),
    highScale: z.array(z.number().positive()),
  }),
  confirmedNormals: z.array(DescriptorSchema),
  confirmedAnomalies: z.array(DescriptorSchema),
});

export type SerializedDetectorModel = z.infer<typeof SerializedDetectorModelSchema>;
