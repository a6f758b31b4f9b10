// The public entry points under fuzz, each with its state (models trained on simulated history, a
// temp directory) and its hostile inputs. Calls run in-process, exactly as a user's code makes them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { types } from 'node:util';
import { brotliCompressSync, constants as zlib } from 'node:zlib';
import type { AuditLogger } from '@harombe/audit-logger';
import {
  AnomalyDetector,
  BaselineLearner,
  FeatureExtractor,
  FileModelStore,
  IsolationForest,
  MemoryModelStore,
  type ModelStore,
  parseSecurityEvent,
  type SecurityEventInput,
  safeParseSecurityEvent,
  THREAT_LEVELS,
  THREAT_MODEL_KIND,
  type ThreatAssessment,
  ThreatDetector,
  ValidationError,
} from '@harombe/security-ml';
import {
  eventPool,
  extremeEvent,
  hostileAgentId,
  hostileEvent,
  hostileEventList,
  validEvent,
} from './events.js';
import type { FuzzInput, FuzzSession, FuzzTarget } from './harness.js';
import { damageText, forgeForest, mutateArtifact, safeStringify, textOf } from './mutate.js';
import type { FuzzRandom } from './random.js';
import {
  HOSTILE_NUMBERS,
  highlight,
  hostileNumber,
  hostileProxy,
  hostileString,
  hostileStructure,
  hostileValue,
  labelled,
  longString,
  randomText,
  wireText,
  wireValue,
  withGetter,
} from './values.js';

// --- result checks ----------------------------------------------------------------------------------
// "Never NaN in a result": scores and probabilities are numbers in [0, 1] (NaN fails every test).

function unit(x: unknown): boolean {
  return typeof x === 'number' && x >= 0 && x <= 1;
}

function checkScores(scores: unknown, what: string): string | undefined {
  if (scores === null) return undefined;
  for (const [key, value] of Object.entries(scores as Record<string, unknown>)) {
    if (!unit(value)) return `${what}.${key} is ${String(value)}, not in [0, 1]`;
  }
  return undefined;
}

function checkAnomalyResult(result: unknown, what = 'result'): string | undefined {
  const r = result as { anomalyScore?: unknown; threatLevel?: unknown; contributingFactors?: unknown };
  if (!unit(r.anomalyScore)) return `${what}.anomalyScore is ${String(r.anomalyScore)}`;
  if (!THREAT_LEVELS.includes(r.threatLevel as (typeof THREAT_LEVELS)[number])) {
    return `${what}.threatLevel is ${String(r.threatLevel)}`;
  }
  return checkScores(r.contributingFactors ?? {}, `${what}.contributingFactors`);
}

function checkAssessment(result: unknown): string | undefined {
  const a = result as ThreatAssessment;
  if (!unit(a.threatScore)) return `threatScore is ${String(a.threatScore)}`;
  if (!unit(a.tailProbability)) return `tailProbability is ${String(a.tailProbability)}`;
  if (!THREAT_LEVELS.includes(a.threatLevel)) return `threatLevel is ${String(a.threatLevel)}`;
  if (typeof a.explanation !== 'string') return 'explanation is not a string';
  return checkAnomalyResult(a.ml, 'ml') ?? checkScores(a.baseline, 'baseline');
}

function checkFinite(vector: unknown): string | undefined {
  for (const x of Array.from(vector as ArrayLike<number>))
    if (!Number.isFinite(x)) return `feature value ${x}`;
  return undefined;
}

// --- shared state ---------------------------------------------------------------------------------

/** A detector whose pool agents are trained; its store is in memory (never `~/.harombe`). */
function trainedThreatDetector(store: ModelStore = new MemoryModelStore()): ThreatDetector {
  const pool = eventPool();
  const detector = new ThreatDetector({ store, seed: 7 });
  for (const agent of pool.agents) detector.train(agent, pool.history.get(agent)!);
  return detector;
}

function historyOf(r: FuzzRandom): { agent: string; events: readonly unknown[] } {
  const pool = eventPool();
  const agent = r.pick(pool.agents);
  return { agent, events: pool.history.get(agent)! };
}

/** A valid event of a pool agent, for using a model that was just loaded. */
function probeEvent(r: FuzzRandom): unknown {
  return r.chance(0.7) ? validEvent(r) : extremeEvent(r);
}

/** An artifact changed structurally, forged (forests), or as damaged JSON text. */
function damagedArtifact(r: FuzzRandom, artifact: object): { value: unknown; note: string } {
  const choice = r.int(10);
  if (choice < 3) return damageText(r, textOf(artifact));
  return mutateArtifact(r, artifact);
}

/** Options objects with each field valid, hostile, missing or behind a getter. */
function hostileOptions(r: FuzzRandom, fields: Record<string, readonly unknown[]>): unknown {
  if (r.chance(0.08)) return hostileValue(r, 1);
  const options: Record<string, unknown> = {};
  for (const [field, valid] of Object.entries(fields)) {
    const choice = r.int(10);
    if (choice < 4) continue;
    if (choice < 8) options[field] = r.pick(valid);
    else if (choice < 9) options[field] = r.chance(0.5) ? hostileNumber(r) : hostileValue(r, 1);
    else withGetter(r, options, field, r.pick(valid));
  }
  if (r.chance(0.05)) options[r.pick(['extra', '__proto__', 'constructor'])] = hostileValue(r, 1);
  return r.chance(0.05) ? hostileProxy(r, options) : options;
}

const TIME_ZONES: readonly unknown[] = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kathmandu',
  'Pacific/Chatham',
  'Etc/GMT+12',
  'Etc/GMT-14',
  '+01:00',
  'utc',
  'Europe/Nowhere',
  '',
  'x'.repeat(10_000),
];

// --- events ---------------------------------------------------------------------------------------

const parseEvent: FuzzTarget = {
  name: 'parseSecurityEvent',
  weight: 14,
  async open() {
    return {
      input: (r) => ({ args: [hostileEvent(r)] }),
      call: (input) => parseSecurityEvent(input.args[0]),
      check: (event) => {
        const e = event as { timestamp?: unknown; durationMs?: unknown };
        if (!(e.timestamp instanceof Date) || Number.isNaN(e.timestamp.getTime()))
          return 'timestamp is not a valid Date';
        if (e.durationMs !== undefined && !(Number.isFinite(e.durationMs) && (e.durationMs as number) >= 0)) {
          return `durationMs is ${String(e.durationMs)}`;
        }
        return Object.isFrozen(event) ? undefined : 'the parsed event is not frozen';
      },
    };
  },
};

const safeParseEvent: FuzzTarget = {
  name: 'safeParseSecurityEvent',
  weight: 14,
  async open() {
    return {
      neverThrows: true,
      input: (r) => ({ args: [hostileEvent(r)] }),
      call: (input) => safeParseSecurityEvent(input.args[0]),
      check: (result) => {
        const r = result as { success?: unknown; data?: unknown; error?: unknown };
        if (r.success === true) return r.data === undefined ? 'success without data' : undefined;
        if (r.success === false)
          return r.error instanceof ValidationError ? undefined : 'failure without a ValidationError';
        return 'result has no boolean success';
      },
    };
  },
};

// --- ThreatDetector -------------------------------------------------------------------------------

function assessOptions(r: FuzzRandom): unknown {
  return r.weighted<() => unknown>([
    [8, () => undefined],
    [2, () => ({ record: r.chance(0.5) })],
    [1, () => hostileOptions(r, { record: [true, false] })],
  ])();
}

const threatTrain: FuzzTarget = {
  name: 'ThreatDetector.train',
  weight: 3,
  async open() {
    const detector = trainedThreatDetector();
    return {
      input: (r) => {
        const { agent, events } = historyOf(r);
        const id = r.chance(0.8) ? agent : hostileAgentId(r, eventPool().agents);
        const args: unknown[] = [id, hostileEventList(r, events as never)];
        if (r.chance(0.2)) args.push(hostileOptions(r, { timeZone: TIME_ZONES }));
        return { args };
      },
      call: (input) => detector.train(...(input.args as Parameters<ThreatDetector['train']>)),
    };
  },
};

const threatAssess: FuzzTarget = {
  name: 'ThreatDetector.assess',
  weight: 12,
  async open() {
    const detector = trainedThreatDetector();
    return {
      input: (r) => ({ args: [hostileAgentId(r, eventPool().agents), hostileEvent(r), assessOptions(r)] }),
      call: (input) => detector.assess(...(input.args as Parameters<ThreatDetector['assess']>)),
      check: checkAssessment,
    };
  },
};

const threatFeedback: FuzzTarget = {
  name: 'ThreatDetector.feedback',
  weight: 4,
  async open() {
    const detector = trainedThreatDetector();
    return {
      input: (r) => ({
        args: [
          hostileAgentId(r, eventPool().agents),
          hostileEvent(r),
          r.chance(0.85) ? r.chance(0.5) : hostileValue(r, 1),
        ],
      }),
      call: (input) => detector.feedback(...(input.args as Parameters<ThreatDetector['feedback']>)),
    };
  },
};

const threatRecord: FuzzTarget = {
  name: 'ThreatDetector.record',
  weight: 5,
  async open() {
    const detector = trainedThreatDetector();
    return {
      input: (r) => {
        const args: unknown[] = [hostileAgentId(r, eventPool().agents), hostileEvent(r)];
        if (r.chance(0.3)) args.push(hostileOptions(r, { learn: [true, false] }));
        return { args };
      },
      call: (input) => detector.record(...(input.args as Parameters<ThreatDetector['record']>)),
    };
  },
};

/**
 * A store that hands `load` whatever the fuzzer put in it: a damaged or forged stored artifact. Only
 * JSON data, as every store returns (parsed from its bytes): a proxy or a getter cannot come out of a
 * file, and a store resolving with a hostile thenable would be the store's defect, not the detector's.
 */
class ForgedStore extends MemoryModelStore {
  next: unknown;

  override async has(): Promise<boolean> {
    return true;
  }

  override async load(): Promise<unknown> {
    return this.next;
  }
}

const threatLoad: FuzzTarget = {
  name: 'ThreatDetector.load',
  weight: 3,
  async open() {
    const source = new MemoryModelStore();
    const trained = trainedThreatDetector(source);
    const artifacts = new Map<string, object>();
    for (const agent of eventPool().agents) {
      await trained.save(agent);
      artifacts.set(agent, (await source.load(agent, THREAT_MODEL_KIND)) as object);
    }
    const store = new ForgedStore();
    const detector = new ThreatDetector({ store, seed: 7 });
    return {
      input: (r) => {
        const agent = r.pick(eventPool().agents);
        const mode = r.int(10);
        const { value, note } =
          mode < 4
            ? mutateArtifact(r, artifacts.get(agent)!, { json: true })
            : mode < 7
              ? forgedThreatModel(r, artifacts.get(agent))
              : mode < 8
                ? {
                    value: artifacts.get(r.pick(eventPool().agents)),
                    note: 'a valid artifact, maybe of another agent',
                  }
                : { value: wireValue(r, 3), note: 'the store returned another JSON value' };
        const id = r.chance(0.9) ? agent : hostileAgentId(r, eventPool().agents);
        return { args: [id, value, probeEvent(r)], note };
      },
      // Loads the artifact, then assesses an event with it: a forged model must not break later calls.
      call: async (input) => {
        const [id, artifact, event] = input.args;
        store.next = artifact;
        await detector.load(id as string);
        return detector.assess(id as string, event as SecurityEventInput);
      },
      check: checkAssessment,
    };
  },
};

/** A threat-model artifact whose forest was forged (bytes or header changed, checksum recomputed). */
function forgedThreatModel(r: FuzzRandom, artifact: unknown): { value: unknown; note: string } {
  const copy = structuredClone(artifact) as { detector: { forest: unknown } };
  const forged = forgeForest(r, copy.detector.forest);
  copy.detector.forest = forged.value;
  return { value: copy, note: `detector.forest: ${forged.note}` };
}

// --- IsolationForest ------------------------------------------------------------------------------

/** Rows of `columns` numbers drawn from a few clusters, reproducible. */
function cleanRows(r: FuzzRandom, rows: number, columns: number): number[][] {
  return Array.from({ length: rows }, () =>
    Array.from({ length: columns }, (_, c) => (c + 1) * (r.next() * 10 + (r.chance(0.1) ? 50 : 0))),
  );
}

/** A matrix for `fit`: numbers at extremes, wrong shapes, wrong types, hostile containers. */
function hostileMatrix(r: FuzzRandom): { value: unknown; note?: string } {
  const columns = r.size(1, 300);
  const rows = Math.min(r.size(0, 20_000), Math.floor(60_000 / columns));
  const matrix = cleanRows(r, rows, columns);
  /** Puts `row` at a random index (marked, so the reproducer shows it first). */
  const setRow = (row: (index: number) => unknown) => {
    if (rows === 0) return;
    const index = r.int(rows);
    matrix[index] = row(index) as number[];
    highlight(matrix, [index]);
  };
  switch (r.int(12)) {
    case 0:
    case 1:
      return { value: matrix };
    case 2: {
      for (let i = 0; i < 1 + r.int(3); i++) {
        setRow((index) => {
          const row = matrix[index]!;
          const c = r.int(columns);
          row[c] = r.pick(HOSTILE_NUMBERS);
          return highlight(row, [c]);
        });
      }
      return { value: matrix, note: 'a few cells set to extreme numbers' };
    }
    case 3: {
      // Finite values whose range overflows: max - min is Infinity.
      for (const row of matrix) row[0] = r.chance(0.5) ? Number.MAX_VALUE : -Number.MAX_VALUE;
      return { value: matrix, note: 'column 0 spans -MAX_VALUE..MAX_VALUE' };
    }
    case 4: {
      const value = r.pick([0, -0, Number.MIN_VALUE, 1e308]);
      for (const row of matrix) row.fill(value);
      return { value: matrix, note: `every cell ${String(value)}` };
    }
    case 5:
      setRow((index) => (r.chance(0.5) ? matrix[index]!.slice(1) : [...matrix[index]!, 1]));
      return { value: matrix, note: 'one row of another length' };
    case 6:
      setRow(() => hostileValue(r, 1));
      return { value: matrix, note: 'one row replaced by a hostile value' };
    case 7: {
      const data = new Float64Array(rows * columns).map(() => r.next());
      const shape = {
        data: r.chance(0.7) ? data : hostileValue(r, 1),
        rows: r.chance(0.6) ? rows : r.pick(HOSTILE_NUMBERS),
        columns: r.chance(0.6) ? columns : r.pick(HOSTILE_NUMBERS),
      };
      return { value: shape, note: `row-major ${rows}x${columns}, shape fields maybe hostile` };
    }
    case 8:
      return { value: matrix.map((row) => Float32Array.from(row)), note: 'rows as Float32Array' };
    case 9:
      setRow((index) => hostileProxy(r, matrix[index]!));
      return { value: matrix, note: 'one row is a proxy' };
    case 10:
      setRow((index) => withGetter(r, matrix[index] as unknown as Record<string, unknown>, '0', 1));
      return { value: matrix, note: 'one cell is a getter' };
    default:
      return { value: r.chance(0.5) ? hostileValue(r, 2) : hostileStructure(r) };
  }
}

const FOREST_OPTIONS = {
  nEstimators: [1, 2, 10, 100, 1000],
  maxSamples: [2, 3, 64, 256, 2 ** 31 - 1],
  maxDepth: ['auto', 1, 8, 64],
  seed: [0, 1, 42, 2 ** 32 - 1],
  contamination: ['auto', 0.01, 0.5],
} as const;

/**
 * At most 1000 trees in a plain options object: the schema allows 100,000, and fitting that many is
 * work the caller asked for, not a hostile input's doing (inputs are bounded so linear code is fast).
 */
function capTrees(options: unknown): unknown {
  if (options === null || typeof options !== 'object' || types.isProxy(options)) return options;
  const trees = Object.getOwnPropertyDescriptor(options, 'nEstimators');
  if (
    trees &&
    'value' in trees &&
    typeof trees.value === 'number' &&
    trees.value > 1000 &&
    trees.value <= 100_000
  ) {
    (options as Record<string, unknown>).nEstimators = 1000;
  }
  return options;
}

const forestOptions: FuzzTarget = {
  name: 'IsolationForest options',
  weight: 3,
  async open() {
    return {
      input: (r) => ({
        args: [capTrees(hostileOptions(r, FOREST_OPTIONS)), cleanRows(r, 2 + r.int(300), 1 + r.int(5))],
      }),
      // Construct, then fit and score with what the options allow: options must be refused up front,
      // not half-accepted and failing later.
      call: (input) => {
        const [options, rows] = input.args as [ConstructorParameters<typeof IsolationForest>[0], number[][]];
        return new IsolationForest(options).fit(rows).score(rows[0]!);
      },
      check: (score) => (unit(score) ? undefined : `score ${String(score)}`),
    };
  },
};

const forestFit: FuzzTarget = {
  name: 'IsolationForest.fit',
  weight: 4,
  async open() {
    return {
      input: (r) => {
        const { value, note } = hostileMatrix(r);
        return { args: [value], ...(note ? { note } : {}) };
      },
      call: (input) => {
        const forest = new IsolationForest({ nEstimators: 25, seed: 3 }).fit(input.args[0] as number[][]);
        return forest.score(new Array(forest.nFeatures).fill(1));
      },
      check: (score) => (unit(score) ? undefined : `score ${String(score)}`),
    };
  },
};

/** A row for a forest fitted on `columns` columns: valid, extreme, wrong, or hostile. */
function hostileRow(r: FuzzRandom, columns: number): unknown {
  const row: unknown[] = Array.from({ length: columns }, () => r.next() * 20);
  switch (r.int(10)) {
    case 0:
    case 1:
    case 2:
      return row;
    case 3: {
      const c = r.int(columns);
      row[c] = r.pick(HOSTILE_NUMBERS);
      return highlight(row, [c]);
    }
    case 4:
      return r.chance(0.5) ? row.slice(1) : [...row, 1];
    case 5:
      return Float32Array.from(row as number[]);
    case 6:
      return r.chance(0.5) ? { length: columns, 0: 1, 1: 2 } : { length: r.pick(HOSTILE_NUMBERS) };
    case 7:
      return hostileProxy(r, row);
    case 8:
      return withGetter(r, row as unknown as Record<string, unknown>, String(r.int(columns)), 1);
    default:
      return hostileValue(r, 1);
  }
}

const forestScore: FuzzTarget = {
  name: 'IsolationForest.score',
  weight: 6,
  async open() {
    const forest = new IsolationForest({ nEstimators: 50, seed: 5 }).fit(
      Array.from({ length: 500 }, (_, i) => [i % 17, (i * 7) % 23, Math.sin(i) * 100, i / 10]),
    );
    return {
      input: (r) => {
        const method = r.weighted([
          [5, 'score'],
          [2, 'scoreBatch'],
          [2, 'explain'],
          [1, 'predict'],
        ] as const);
        const rows = method === 'scoreBatch' ? [hostileRow(r, 4), hostileRow(r, 4)] : hostileRow(r, 4);
        return { args: [rows], note: `forest.${method}` };
      },
      call: (input) => {
        const arg = input.args[0];
        switch (input.note) {
          case 'forest.scoreBatch':
            return forest.scoreBatch(arg as number[][]);
          case 'forest.explain':
            return forest.explain(arg as number[]).score;
          case 'forest.predict':
            return forest.predict(arg as number[]) ? 1 : 0;
          default:
            return forest.score(arg as number[]);
        }
      },
      check: (result) => {
        const scores = typeof result === 'number' ? [result] : Array.from(result as Float64Array);
        const wrong = scores.find((s) => !unit(s));
        return wrong === undefined ? undefined : `score ${wrong}`;
      },
    };
  },
};

const forestFromJson: FuzzTarget = {
  name: 'IsolationForest.fromJSON',
  weight: 4,
  async open() {
    const small = new IsolationForest({ nEstimators: 20, seed: 9 }).fit(
      Array.from({ length: 120 }, (_, i) => [i % 7, (i * 13) % 29, Math.cos(i) * 50]),
    );
    // Over 256 features and 256 samples: the two-byte feature and leaf-size encodings.
    const wide = new IsolationForest({ nEstimators: 4, maxSamples: 512, seed: 9 }).fit(
      Array.from({ length: 600 }, (_, i) => Array.from({ length: 300 }, (_, c) => ((i + 1) * (c + 3)) % 101)),
    );
    const bases = [small.toJSON(), wide.toJSON()];
    return {
      input: (r) => {
        const base = r.chance(0.8) ? bases[0]! : bases[1]!;
        const { value, note } = r.chance(0.4) ? forgeForest(r, base) : damagedArtifact(r, base);
        return { args: [value], note };
      },
      call: (input) => {
        const forest = IsolationForest.fromJSON(input.args[0]);
        return forest.score(new Array(forest.nFeatures).fill(3));
      },
      check: (score) => (unit(score) ? undefined : `score ${String(score)}`),
    };
  },
};

// --- BaselineLearner ------------------------------------------------------------------------------

const LEARNER_OPTIONS = {
  windowDays: [1, 7, 30, 366],
  minSamples: [1, 10, 100],
  timeZone: TIME_ZONES,
  robust: [true, false],
  feedbackWeight: [1, 10, 1000],
  maxVocabulary: [1, 1000, 100_000],
  maxLeadMs: [60_000, 3_600_000, 366 * 86_400_000],
  corroboration: [1, 3, 16],
  clock: [
    () => Date.UTC(2026, 0, 20),
    labelled(() => Number.NaN, 'clock returning NaN'),
    labelled(() => 'now', 'clock returning a string'),
  ],
};

/** A learner that has recorded the pool's history. */
function recordedLearner(): BaselineLearner {
  const learner = new BaselineLearner({ minSamples: 20 });
  const pool = eventPool();
  for (const agent of pool.agents)
    for (const event of pool.history.get(agent)!) learner.recordEvent(agent, event);
  return learner;
}

const learnerOptions: FuzzTarget = {
  name: 'BaselineLearner options',
  weight: 2,
  async open() {
    return {
      input: (r) => {
        const { agent, events } = historyOf(r);
        const start = r.int(events.length - 40);
        return {
          args: [hostileOptions(r, LEARNER_OPTIONS), agent, events.slice(start, start + 40), probeEvent(r)],
        };
      },
      // Construct, then record and score a little with what the options allow.
      call: (input) => {
        const [options, agent, events, probe] = input.args as [
          ConstructorParameters<typeof BaselineLearner>[0],
          string,
          SecurityEventInput[],
          SecurityEventInput,
        ];
        const learner = new BaselineLearner(options);
        for (const event of events) learner.recordEvent(agent, event);
        return learner.detectAnomalies(agent, probe);
      },
      check: (scores) => checkScores(scores, 'scores'),
    };
  },
};

const learnerRecord: FuzzTarget = {
  name: 'BaselineLearner.recordEvent',
  weight: 5,
  async open() {
    const learner = recordedLearner();
    return {
      input: (r) => {
        const args: unknown[] = [hostileAgentId(r, eventPool().agents), hostileEvent(r)];
        if (r.chance(0.3)) args.push(hostileOptions(r, { learn: [true, false] }));
        return { args };
      },
      call: (input) => learner.recordEvent(...(input.args as Parameters<BaselineLearner['recordEvent']>)),
    };
  },
};

const learnerDetect: FuzzTarget = {
  name: 'BaselineLearner.detectAnomalies',
  weight: 5,
  async open() {
    const learner = recordedLearner();
    return {
      input: (r) => ({ args: [hostileAgentId(r, eventPool().agents), hostileEvent(r)] }),
      call: (input) =>
        learner.detectAnomalies(...(input.args as Parameters<BaselineLearner['detectAnomalies']>)),
      check: (scores) => checkScores(scores, 'scores'),
    };
  },
};

const learnerFromJson: FuzzTarget = {
  name: 'BaselineLearner.fromJSON/importAgent',
  weight: 3,
  async open() {
    const learner = recordedLearner();
    const whole = learner.toJSON();
    const agents = eventPool().agents;
    const exports = new Map(agents.map((agent) => [agent, learner.exportAgent(agent)]));
    const target = new BaselineLearner({ minSamples: 20 });
    return {
      input: (r) => {
        const agent = r.pick(agents);
        const viaImport = r.chance(0.5);
        const { value, note } = damagedArtifact(r, viaImport ? exports.get(agent)! : whole);
        const id = r.chance(0.9) ? agent : hostileAgentId(r, agents);
        return {
          args: [id, value, probeEvent(r)],
          note: `${viaImport ? 'importAgent' : 'fromJSON'}: ${note}`,
        };
      },
      // Restores, then scores an event with what was restored.
      call: (input) => {
        const [id, json, probe] = input.args as [string, unknown, SecurityEventInput];
        if (input.note?.startsWith('importAgent')) {
          target.importAgent(id, json);
          return target.detectAnomalies(id, probe);
        }
        return BaselineLearner.fromJSON(json).detectAnomalies(id, probe);
      },
      check: (scores) => checkScores(scores, 'scores'),
    };
  },
};

// --- features and detector artifacts --------------------------------------------------------------

const extractorFromJson: FuzzTarget = {
  name: 'FeatureExtractor.fromJSON',
  weight: 3,
  async open() {
    const pool = eventPool();
    const extractor = new FeatureExtractor().fit(pool.history.get(pool.agents[0]!)!);
    const base = extractor.toJSON();
    return {
      input: (r) => {
        const { value, note } = damagedArtifact(r, base);
        return { args: [value, probeEvent(r)], note };
      },
      // Restores, then turns a valid event into features with what was restored.
      call: (input) => {
        const restored = FeatureExtractor.fromJSON(input.args[0]);
        const event = safeParseSecurityEvent(input.args[1]);
        return event.success ? restored.transform(event.data) : new Float64Array(0);
      },
      check: checkFinite,
    };
  },
};

const detectorImport: FuzzTarget = {
  name: 'AnomalyDetector.importModel',
  weight: 3,
  async open() {
    const pool = eventPool();
    const trained = new AnomalyDetector({ store: new MemoryModelStore(), seed: 7 });
    const models = new Map<string, object>();
    for (const agent of pool.agents) {
      trained.train(agent, pool.history.get(agent)!);
      models.set(agent, trained.exportModel(agent));
    }
    const detector = new AnomalyDetector({ store: new MemoryModelStore(), seed: 7, reloadFromStore: false });
    return {
      input: (r) => {
        const agent = r.pick(pool.agents);
        const { value, note } = r.chance(0.3)
          ? (() => {
              const copy = structuredClone(models.get(agent)) as { forest: unknown };
              const forged = forgeForest(r, copy.forest);
              copy.forest = forged.value;
              return { value: copy, note: `forest: ${forged.note}` };
            })()
          : damagedArtifact(r, models.get(agent)!);
        const id = r.chance(0.9) ? agent : hostileAgentId(r, pool.agents);
        return { args: [id, value, probeEvent(r)], note };
      },
      // Imports, then detects with the imported model.
      call: (input) => {
        const [id, json, probe] = input.args as [string, unknown, SecurityEventInput];
        detector.importModel(id, json);
        return detector.detect(id, probe);
      },
      check: (result) => checkAnomalyResult(result),
    };
  },
};

// --- persistence ----------------------------------------------------------------------------------

interface StoredFile {
  readonly label: string;
  readonly store: FileModelStore;
  readonly agent: string;
  readonly location: string;
  readonly bytes: Buffer;
}

/** The file's bytes damaged: bits flipped, cut, extended, header edited, or replaced. */
function damageFile(
  r: FuzzRandom,
  file: StoredFile,
  others: readonly StoredFile[],
  bomb: Buffer,
): { bytes: Buffer; note: string } {
  const bytes = Buffer.from(file.bytes);
  const newline = bytes.indexOf(0x0a);
  switch (r.int(11)) {
    case 0:
    case 1:
    case 2: {
      const flips = 1 + r.int(8);
      // Half the time in the header line, where the fields that steer decoding are.
      const inHeader = r.chance(0.5) && newline > 0;
      for (let i = 0; i < flips; i++) {
        const at = r.int(inHeader ? newline : bytes.length);
        bytes[at] = bytes[at]! ^ (1 << r.int(8));
      }
      return { bytes, note: `${flips} bits flipped in the ${inHeader ? 'header' : 'file'}` };
    }
    case 3: {
      const length = r.int(bytes.length);
      return { bytes: bytes.subarray(0, length), note: `cut to ${length} of ${bytes.length} bytes` };
    }
    case 4:
      return {
        bytes: Buffer.concat([bytes, Buffer.from(randomText(r, 1 + r.int(100)))]),
        note: 'bytes appended',
      };
    case 5:
    case 6: {
      const header = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as unknown;
      const { value, note } = mutateArtifact(r, header as object, { json: true });
      const text = safeStringify(value);
      return {
        bytes: Buffer.concat([Buffer.from(`${text}\n`), bytes.subarray(newline + 1)]),
        note: `header: ${note}`,
      };
    }
    case 7: {
      const other = r.pick(others);
      return { bytes: Buffer.from(other.bytes), note: `the file of ${other.label} (agent ${other.agent})` };
    }
    case 8:
      if (r.chance(0.05) && file.label.startsWith('plain brotli')) {
        // A small body that inflates to 1 GiB: decompressed before its SHA-256 is checked.
        const header = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as Record<string, unknown>;
        header.bodyBytes = bomb.length;
        return {
          bytes: Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), bomb]),
          note: `body replaced by ${bomb.length} bytes of brotli that inflate to 1 GiB`,
        };
      }
      return { bytes: Buffer.alloc(0), note: 'empty file' };
    case 9:
      return {
        bytes: Buffer.from(wireText(r, 2)),
        note: 'a JSON value, not an artifact',
      };
    default:
      return { bytes: Buffer.from(randomText(r, r.size(1, 70_000))), note: 'random text' };
  }
}

const fileStoreLoad: FuzzTarget = {
  name: 'FileModelStore.load',
  weight: 2,
  async open() {
    const root = mkdtempSync(join(tmpdir(), 'harombe-fuzz-store-'));
    const source = new MemoryModelStore();
    const trained = trainedThreatDetector(source);
    const agent = eventPool().agents[0]!;
    await trained.save(agent);
    const artifact = await source.load(agent, THREAT_MODEL_KIND);
    const key = Buffer.alloc(32, 7);
    const variants = [
      { label: 'plain brotli', options: { key: null, compression: 'brotli' } },
      { label: 'plain gzip', options: { key: null, compression: 'gzip' } },
      { label: 'plain json', options: { key: null, compression: 'none' } },
      { label: 'keyed brotli', options: { key, compression: 'brotli' } },
      { label: 'keyed json', options: { key, compression: 'none' } },
      { label: 'other key', options: { key: Buffer.alloc(32, 9), compression: 'brotli' } },
    ] as const;
    const files: StoredFile[] = [];
    for (const [i, variant] of variants.entries()) {
      const directory = join(root, String(i));
      const store = new FileModelStore({ directory, durable: false, ...variant.options });
      for (const id of [agent, 'other-agent']) {
        const { location } = await store.save(id, THREAT_MODEL_KIND, artifact);
        files.push({ label: variant.label, store, agent: id, location, bytes: readFileSync(location) });
      }
    }
    const bomb = brotliCompressSync(Buffer.alloc(2 ** 30), { params: { [zlib.BROTLI_PARAM_QUALITY]: 1 } });
    const targets = files.filter((f) => f.agent === agent && f.label !== 'other key');
    return {
      input: (r) => {
        const file = r.pick(targets);
        const { bytes, note } = damageFile(r, file, files, bomb);
        rmSync(file.location, { recursive: true, force: true });
        if (r.chance(0.01)) mkdirSync(file.location);
        else writeFileSync(file.location, bytes, { mode: 0o600 });
        return { args: [file.label, agent, THREAT_MODEL_KIND], note };
      },
      call: (input: FuzzInput) => {
        const file = targets.find((f) => f.label === input.args[0])!;
        return file.store.load(agent, THREAT_MODEL_KIND);
      },
      close: () => rmSync(root, { recursive: true, force: true }),
    };
  },
};

// --- apps -----------------------------------------------------------------------------------------

/** Tool-call arguments a library caller might pass: anything, including values JSON cannot hold. */
function toolArguments(r: FuzzRandom): unknown {
  return r.weighted<() => unknown>([
    [3, () => wireValue(r, 3)],
    [3, () => hostileValue(r, 3)],
    [2, () => hostileStructure(r)],
    [2, () => ({ query: longString(r), path: hostileString(r), token: hostileString(r) })],
    [1, () => ({ n: r.pick([1n, 2n ** 70n]) })],
    [1, () => undefined],
  ])();
}

const auditLog: FuzzTarget = {
  name: 'AuditLogger.log',
  weight: 3,
  async open() {
    const root = mkdtempSync(join(tmpdir(), 'harombe-fuzz-audit-'));
    // The apps load only in their own processes: the other entry points run even while an app's build
    // is missing, and their processes start without the MCP SDK and SQLite.
    const { AuditLogger } = await import('@harombe/audit-logger');
    const logger = await AuditLogger.open({
      path: join(root, 'audit.db'),
      clock: () => Date.UTC(2026, 0, 20),
    });
    return {
      input: (r, index) => {
        const event = hostileEvent(r);
        // Fresh ids, or most valid events would only meet the duplicate-id check.
        if (r.chance(0.9) && event !== null && typeof event === 'object' && !types.isProxy(event)) {
          try {
            const record = event as Record<string, unknown>;
            if ('eventId' in record) record.eventId = `fuzz-${index}`;
            else record.event_id = `fuzz-${index}`;
          } catch {
            // A proxy or a getter-only field: the event keeps its own id.
          }
        }
        return { args: r.chance(0.85) ? [event, { arguments: toolArguments(r) }] : [event] };
      },
      call: (input) => logger.log(...(input.args as Parameters<AuditLogger['log']>)),
      close: async () => {
        await logger.close();
        rmSync(root, { recursive: true, force: true });
      },
    };
  },
};

const TOOLS = [
  'read_file',
  'list_directory',
  'web_fetch',
  'shell_execute',
  'write_file',
  'search',
  '__proto__',
  'constructor',
  'toString',
];
const URL_TEXT = [
  'http://x!y/',
  'http://[::1]:99999/',
  'http://a@b@c.example/',
  'https://EXAMPLE.com./',
  'http://0x7f.1/',
  'http://256.256.256.256/',
  'http://ex ample.com/',
  '//host.example/x',
  'http://例え.jp/',
  'http://xn--nxasmq6b.com/',
  'http://%41.com/',
  'http://[fe80::1%25eth0]/',
  'file:///etc/passwd',
  'javascript:alert(1)',
  `https://${'a'.repeat(300)}.com/`,
  `https://${'a.'.repeat(200)}com/`,
];

/** Arguments of an MCP tool call as the gateway receives them: parsed JSON, agent-controlled. */
function gatewayArguments(r: FuzzRandom): Record<string, unknown> {
  const args = r.chance(0.3) ? (wireValue(r, 2) as unknown) : {};
  const record: Record<string, unknown> =
    args !== null && typeof args === 'object' && !Array.isArray(args)
      ? (args as Record<string, unknown>)
      : {};
  const text = () =>
    r.weighted<() => unknown>([
      [3, () => r.pick(URL_TEXT)],
      [3, () => hostileString(r)],
      [1, () => `http://${hostileString(r)}/`],
      [1, () => wireValue(r, 1)],
    ])();
  for (const key of ['path', 'file_path', 'directory', 'url', 'uri', 'href', 'endpoint']) {
    if (r.chance(0.3)) record[key] = text();
  }
  // Every part came from JSON text or is a string: the whole is what a JSON-RPC request could carry.
  return record;
}

const gatewayAssess: FuzzTarget = {
  name: 'gateway toolCallEvent -> assess',
  weight: 4,
  async open() {
    const detector = trainedThreatDetector();
    const { completedEvent, parseGatewayConfig, toolCallEvent } = await import('@harombe/gateway');
    const { events: config } = parseGatewayConfig({
      agents: [{ agentId: 'gateway-agent', token: 'fuzz-token-0123456789' }],
      upstreams: [{ name: 'upstream', url: 'http://127.0.0.1:9/mcp' }],
      events: {
        tools: {
          read_file: { eventType: 'file_operation' },
          list_directory: { eventType: 'file_operation', pathKind: 'directory' },
          web_fetch: { eventType: 'network' },
        },
      },
    });
    const started = Date.parse(eventPool().live[0]!.timestamp);
    return {
      input: (r, index) => ({
        args: [
          r.pick(eventPool().agents),
          r.pick(TOOLS),
          gatewayArguments(r),
          new Date(started + index * 7_000),
        ],
      }),
      // The gateway's path for one call: the event from the arguments, assess, then record the outcome.
      call: (input) => {
        const [agentId, tool, args, timestamp] = input.args as [
          string,
          string,
          Record<string, unknown>,
          Date,
        ];
        const event = toolCallEvent(
          tool,
          args,
          { agentId, eventId: `e-${timestamp.getTime()}` },
          timestamp,
          config,
        );
        // The gateway promises a valid event for any arguments (an invalid one is denied unassessed,
        // so an agent's text would decide the outcome): a refusal here breaks that promise.
        const parsed = safeParseSecurityEvent(event);
        if (!parsed.success) return { invalidEvent: parsed.error.message };
        const assessment = detector.assess(agentId, parsed.data, { record: false });
        detector.record(agentId, completedEvent(event, { durationMs: 120, success: true }), {
          learn: !assessment.isThreat,
        });
        return assessment;
      },
      check: (result) => {
        const invalid = (result as { invalidEvent?: string }).invalidEvent;
        return invalid === undefined
          ? checkAssessment(result)
          : `toolCallEvent made an invalid event: ${invalid}`;
      },
    };
  },
};

/** Every entry point, in the order of the report. */
export const TARGETS: readonly FuzzTarget[] = [
  parseEvent,
  safeParseEvent,
  threatTrain,
  threatAssess,
  threatFeedback,
  threatRecord,
  threatLoad,
  forestOptions,
  forestFit,
  forestScore,
  forestFromJson,
  learnerOptions,
  learnerRecord,
  learnerDetect,
  learnerFromJson,
  extractorFromJson,
  detectorImport,
  fileStoreLoad,
  auditLog,
  gatewayAssess,
];

export type { FuzzSession };
