// The model lifecycle, in one place: load an agent's stored model when it is needed (one load in
// flight per agent, shared by concurrent callers), remember the agents the store has no model for,
// save, load, save and drop idle agents, and prepare from history (train; a stored model wins; save
// what was newly trained). ThreatDetector and the facade's AnomalyDetector each own one, through a
// ModelHost that says how their models go into and out of memory; integrations reach it through
// their public methods only, so no caller keeps a `loading` map or a set of agents without a model.
import {
  type ArtifactKind,
  type ModelStore,
  parseAgentId,
  parseOrThrow,
  type SecurityEvent,
  type SecurityEventInput,
} from '@harombe/models';
import { FileModelStore } from '@harombe/persistence';
import { z } from 'zod';

/** What the lifecycle needs of a detector: its models in memory, as artifacts, and training. */
export interface ModelHost {
  /** The artifact kind its models are stored under. */
  readonly kind: ArtifactKind;
  /** Whether the agent's model is in memory. */
  hasModel(agentId: string): boolean;
  /** The agent's model as a JSON-safe artifact; throws when it has none. */
  exportArtifact(agentId: string): unknown;
  /** Installs a stored artifact, replacing what memory holds of the agent; throws an invalid one. */
  importArtifact(agentId: string, artifact: unknown): void;
  /**
   * How a load on demand installs the artifact, decided when the load starts: what memory holds of
   * the agent then, not when the store answers (meanwhile a call scored on the fleet model may have
   * recorded an event). Default: {@link importArtifact}.
   */
  restorer?(agentId: string): ((artifact: unknown) => void) | undefined;
  /** Trains the agent on its history, replacing what memory holds of it. */
  train(
    agentId: string,
    events: readonly (SecurityEventInput | SecurityEvent)[],
    options: { timeZone?: string },
  ): { readonly trained: boolean; readonly reason?: string | undefined };
}

/** Options of `ensureLoaded`. */
export interface EnsureLoadedOptions {
  /**
   * What a failed load (a stored model that is unreadable, tampered with or invalid; a store error)
   * does. `'throw'` (default): rejects, and the next call tries again. `'cold-start'`: resolves
   * `false` (the agent stays on the fleet model), and such calls do not try again until the agent is
   * trained, saved or loaded, or `forgetMissing()` is called.
   */
  onFailure?: 'throw' | 'cold-start';
}

/** Options of `prepare`. */
export interface PrepareOptions {
  /**
   * The agents to serve: each gets its stored model, else its newly trained one (saved), else the
   * fleet model. Agents of the history not listed are trained (for the fleet model) but neither
   * loaded nor saved. Default: every agent of the history.
   */
  agents?: readonly string[];
  /** Agents' IANA time zones, for their hours and weekdays (default UTC). */
  timeZones?: ReadonlyMap<string, string | undefined>;
}

/** What `prepare` did, each list in the order of `agents` (of the history for `trained`, `notTrained`). */
export interface PrepareResult {
  /** Agents trained from their history (a stored model may have replaced the fresh one: `loaded`). */
  readonly trained: string[];
  /** Agents of the history not trained (too few events), and why. */
  readonly notTrained: Array<{ readonly agentId: string; readonly reason: string }>;
  /** Agents whose stored model was loaded: it wins, it holds what the agent learned since. */
  readonly loaded: string[];
  /** Agents trained here whose new model was saved (the store had none). */
  readonly saved: string[];
  /** Agents without a model of their own: scored by the fleet model. */
  readonly coldStart: string[];
}

/** Where models are stored: the given store, else files in `modelDir` (default `~/.harombe/models`). */
export interface StoreOptions {
  /** Where models are saved (a `FileModelStore`); default `~/.harombe/models`. Ignored with `store`. */
  modelDir?: string;
  /** Any `ModelStore`; default a `FileModelStore` in `modelDir`. */
  store?: ModelStore;
}

/** The store the options name: `store`, else a `FileModelStore` in `modelDir`. */
export function storeOf(options: StoreOptions): ModelStore {
  return options.store ?? new FileModelStore(options.modelDir ? { directory: options.modelDir } : {});
}

const EnsureLoadedOptionsSchema = z
  .object({ onFailure: z.enum(['throw', 'cold-start']).default('throw') })
  .strict();
const PrepareOptionsSchema = z
  .object({
    agents: z.array(z.string()).optional(),
    timeZones: z.map(z.string(), z.string().optional()).optional(),
  })
  .strict();
const HistoriesSchema = z.custom<Iterable<unknown>>(
  (value) => typeof (value as Partial<Iterable<unknown>> | null)?.[Symbol.iterator] === 'function',
  'expected [agentId, events] pairs (a Map, a list or a generator)',
);
const HistoryEntrySchema = z.tuple([
  z.string(),
  // Only the list is checked here; its events are checked (parsed) where they are trained.
  z.custom<readonly (SecurityEventInput | SecurityEvent)[]>(
    (events) => Array.isArray(events),
    'expected an array of events',
  ),
]);

/** What `ensureLoaded` resolves to for a model in memory: one settled promise, no allocation per event. */
const IN_MEMORY: Promise<boolean> = Promise.resolve(true);

export class ModelLifecycle {
  /** Loads on demand in flight, so concurrent callers share one. */
  private readonly loading = new Map<string, Promise<boolean>>();
  /** Agents the store had no model for: not asked again until trained, saved or loaded. */
  private readonly missing = new Set<string>();
  /** Agents whose stored model failed to load: `onFailure: 'cold-start'` callers do not try again. */
  private readonly failed = new Set<string>();

  constructor(
    readonly store: ModelStore,
    private readonly host: ModelHost,
  ) {}

  /**
   * Loads the agent's stored model unless it is in memory. Resolves `true` when the agent has a
   * model afterwards, `false` when the store has none (remembered: the store is not asked again until
   * the agent is trained, saved or loaded). Concurrent calls for one agent share one load; a budget
   * for it is the caller's business (a load that outlasts it still installs the model).
   * @throws whatever the store or the host throws for a model that cannot be used, unless
   *   `onFailure: 'cold-start'`.
   */
  ensureLoaded(agentId: string, options: EnsureLoadedOptions = {}): Promise<boolean> {
    if (this.host.hasModel(agentId)) return IN_MEMORY;
    try {
      parseAgentId(agentId);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.loadOnDemand(agentId, options);
  }

  /** The agent's model as the artifact {@link save} stores; throws when it has none in memory. */
  exportArtifact(agentId: string): unknown {
    parseAgentId(agentId);
    return this.host.exportArtifact(agentId);
  }

  /** Installs an artifact (as {@link save} stored it), replacing what memory holds of the agent. */
  importArtifact(agentId: string, artifact: unknown): void {
    parseAgentId(agentId);
    this.host.importArtifact(agentId, artifact);
    this.changed(agentId);
  }

  /** Saves the agent's model; resolves to where it was stored. */
  async save(agentId: string): Promise<string> {
    parseAgentId(agentId);
    const artifact = this.host.exportArtifact(agentId);
    const { location } = await this.store.save(agentId, this.host.kind, artifact);
    this.changed(agentId);
    return location;
  }

  /**
   * Loads the agent's stored model, replacing what memory holds of it.
   * @throws {NotFoundError} the store has none; whatever the store or the host throws for one that
   *   cannot be used.
   */
  async load(agentId: string): Promise<void> {
    parseAgentId(agentId);
    this.host.importArtifact(agentId, await this.store.load(agentId, this.host.kind));
    this.changed(agentId);
  }

  /**
   * Saves and drops each of the `idle` agents in turn (`drop` removes it from memory); an agent
   * without a model, in memory or stored, stays (there is nothing to save it as). Resolves to the
   * agents dropped, in the order given.
   */
  async evictIdle(idle: readonly string[], drop: (agentId: string) => void): Promise<string[]> {
    const dropped: string[] = [];
    for (const agentId of idle) {
      // Its model may have left memory already (a cache bound): the stored one comes back first.
      if (!(await this.ensureLoaded(agentId))) continue;
      await this.save(agentId);
      drop(agentId);
      dropped.push(agentId);
    }
    return dropped;
  }

  /**
   * Start-up: trains each agent of `histories` (which also feeds the fleet model), then gives each
   * of `agents` the best model there is: its stored one (it holds what the agent learned while
   * serving), else the newly trained one (saved now), else none (the fleet model scores it).
   * Agents are settled one at a time, right after training, so a bounded cache never drops a fresh
   * model before it is saved. The store's answers are not remembered: an agent found without a
   * model here is asked about again by its first `ensureLoaded`.
   * @throws {ValidationError} `histories` not a list of `[agentId, events]` pairs, bad options, an
   *   invalid agent id or event.
   */
  async prepare(
    histories: Iterable<readonly [string, readonly (SecurityEventInput | SecurityEvent)[]]>,
    options: PrepareOptions = {},
  ): Promise<PrepareResult> {
    const { agents, timeZones } = parseOrThrow(PrepareOptionsSchema, options, 'prepare options');
    parseOrThrow(HistoriesSchema, histories, 'histories');
    const served = agents ? new Set(agents) : undefined;
    const outcome = new Map<string, 'loaded' | 'saved' | 'coldStart'>();
    const trained: string[] = [];
    const notTrained: Array<{ agentId: string; reason: string }> = [];
    let index = 0;
    for (const entry of histories) {
      const [agentId, events] = parseOrThrow(HistoryEntrySchema, entry, `histories[${index++}]`);
      const zone = timeZones?.get(agentId);
      const result = this.host.train(agentId, events, zone ? { timeZone: zone } : {});
      if (result.trained) trained.push(agentId);
      else notTrained.push({ agentId, reason: result.reason ?? 'not trained' });
      if (!served || served.has(agentId)) outcome.set(agentId, await this.settle(agentId, result.trained));
    }
    for (const agentId of agents ?? []) {
      if (!outcome.has(agentId)) outcome.set(agentId, await this.settle(agentId, false));
    }
    const order = agents ?? [...outcome.keys()];
    const withOutcome = (wanted: string) => order.filter((agentId) => outcome.get(agentId) === wanted);
    return {
      trained,
      notTrained,
      loaded: withOutcome('loaded'),
      saved: withOutcome('saved'),
      coldStart: withOutcome('coldStart'),
    };
  }

  /** Forgets which agents the store had no usable model for (another process may have saved some). */
  forgetMissing(): void {
    this.missing.clear();
    this.failed.clear();
  }

  /** The agent's model in memory changed (trained, saved, loaded): what the store lacked no longer matters. */
  changed(agentId: string): void {
    this.missing.delete(agentId);
    this.failed.delete(agentId);
  }

  private async settle(agentId: string, fresh: boolean): Promise<'loaded' | 'saved' | 'coldStart'> {
    if (await this.store.has(agentId, this.host.kind)) {
      await this.load(agentId);
      return 'loaded';
    }
    if (!fresh) return 'coldStart';
    await this.save(agentId);
    return 'saved';
  }

  private async loadOnDemand(agentId: string, options: EnsureLoadedOptions): Promise<boolean> {
    const { onFailure } = parseOrThrow(EnsureLoadedOptionsSchema, options, 'ensureLoaded options');
    if (this.missing.has(agentId)) return false;
    if (onFailure === 'cold-start' && this.failed.has(agentId)) return false;
    let pending = this.loading.get(agentId);
    if (!pending) {
      pending = this.fetch(agentId).finally(() => this.loading.delete(agentId));
      this.loading.set(agentId, pending);
    }
    return onFailure === 'throw' ? pending : pending.catch(() => false);
  }

  private async fetch(agentId: string): Promise<boolean> {
    // Decided before the first await (see ModelHost.restorer).
    const install =
      this.host.restorer?.(agentId) ?? ((artifact: unknown) => this.host.importArtifact(agentId, artifact));
    try {
      if (!(await this.store.has(agentId, this.host.kind))) {
        this.missing.add(agentId);
        return false;
      }
      install(await this.store.load(agentId, this.host.kind));
    } catch (error) {
      this.failed.add(agentId);
      throw error;
    }
    this.changed(agentId);
    return true;
  }
}
