// The AnomalyDetector users rely on (`new AnomalyDetector({ modelDir, contamination, threshold, seed })`,
// `await saveModel(agentId)`, `await loadModel(agentId)`): @harombe/detector's detector, which owns no
// store, plus a store and the model lifecycle. Saving, loading, loading on demand and the background
// load of an agent scored without a model in memory all go through that one ModelLifecycle.
import {
  AnomalyDetector as CoreAnomalyDetector,
  type AnomalyDetectorOptions as CoreAnomalyDetectorOptions,
  AnomalyDetectorOptionsSchema as CoreAnomalyDetectorOptionsSchema,
  type TrainOptions,
  type TrainResult,
} from '@harombe/detector';
import type { SecurityEvent, SecurityEventInput } from '@harombe/models';
import { type ModelStore, parseAgentId, parseOrThrow } from '@harombe/models';
import { z } from 'zod';
import { type EnsureLoadedOptions, ModelLifecycle, type StoreOptions, storeOf } from './model-lifecycle.js';

/** The artifact kind under which `saveModel` stores detector models. */
export const DETECTOR_KIND = 'detector';

const StoreOptionsSchema = z.object({
  modelDir: z.string().min(1).optional(),
  reloadFromStore: z.boolean().default(true),
});

/** The options of this package's {@link AnomalyDetector}: the detector's, and where models are stored. */
export const AnomalyDetectorOptionsSchema = CoreAnomalyDetectorOptionsSchema.extend(StoreOptionsSchema.shape);

/** Options of {@link AnomalyDetector}; every field is optional. */
export interface AnomalyDetectorOptions extends CoreAnomalyDetectorOptions, StoreOptions {
  /**
   * Load an agent's stored model in the background when an agent without a model in memory is
   * scored (the fleet model scores it meanwhile; an agent the store has no usable model for is not
   * asked about again until it is trained, saved or loaded). Default true.
   */
  reloadFromStore?: boolean;
}

/**
 * @harombe/detector's `AnomalyDetector` with a store: `saveModel`, `loadModel`, `ensureLoaded`, and
 * models that leave the cache come back from the store when their agent is scored again.
 */
export class AnomalyDetector extends CoreAnomalyDetector {
  readonly store: ModelStore;
  private readonly lifecycle: ModelLifecycle;
  private readonly reloadFromStore: boolean;

  /** @throws {ValidationError} an option out of range, naming it. */
  constructor(options: AnomalyDetectorOptions = {}) {
    const { store, modelDir, reloadFromStore, ...detector } = options;
    const own = parseOrThrow(StoreOptionsSchema, { modelDir, reloadFromStore }, 'AnomalyDetector options');
    super(detector);
    this.reloadFromStore = own.reloadFromStore;
    this.store = storeOf({ store, modelDir: own.modelDir });
    this.lifecycle = new ModelLifecycle(this.store, {
      kind: DETECTOR_KIND,
      hasModel: (agentId) => this.hasModel(agentId),
      exportArtifact: (agentId) => this.exportModel(agentId),
      importArtifact: (agentId, artifact) => this.importModel(agentId, artifact),
      train: (agentId, events, trainOptions) => this.train(agentId, events, trainOptions),
    });
  }

  override train(
    agentId: string,
    inputs: readonly (SecurityEventInput | SecurityEvent)[],
    options: TrainOptions = {},
  ): TrainResult {
    const result = super.train(agentId, inputs, options);
    this.lifecycle.changed(result.agentId);
    return result;
  }

  /** Saves the agent's model to the store; resolves to where it was stored. */
  async saveModel(agentId: string): Promise<string> {
    return this.lifecycle.save(parseAgentId(agentId));
  }

  /**
   * Loads the agent's model from the store (replacing the one in memory). Results are bit-identical
   * to the saved model's.
   * @throws {NotFoundError | CorruptError | TamperedError | UnsupportedVersionError} from the store.
   * @throws {DetectorError} the artifact is not a detector model.
   */
  async loadModel(agentId: string): Promise<void> {
    await this.lifecycle.load(parseAgentId(agentId));
  }

  /**
   * Loads the agent's stored model unless it is in memory; resolves `false` when the store has none
   * (see `ThreatDetector.ensureLoaded`: the same lifecycle).
   */
  async ensureLoaded(agentId: string, options: EnsureLoadedOptions = {}): Promise<boolean> {
    return this.lifecycle.ensureLoaded(parseAgentId(agentId), options);
  }

  protected override scoredWithoutModel(agentId: string): void {
    // The fleet model scores this event; the agent's own model is there for the next ones. A model
    // that cannot be loaded leaves the agent on the fleet model (scoring never throws for it).
    if (this.reloadFromStore) void this.lifecycle.ensureLoaded(agentId, { onFailure: 'cold-start' });
  }
}
