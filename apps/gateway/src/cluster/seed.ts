// Models for a multi-node deployment, trained once (not by every replica at start-up): each
// configured agent with history is trained and saved as version 1 with watermark 0 (its log starts
// after it), unless the store holds a model of it already; the fleet model is saved for cold starts.
import { type SecurityEvent, THREAT_MODEL_KIND } from '@harombe/security-ml';
import { VersionConflictError } from '@harombe/store-postgres';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config.js';
import { createDetector } from '../models.js';
import { openClusterStores } from './stores.js';

export interface SeedResult {
  /** Agents trained and saved as version 1. */
  readonly saved: readonly string[];
  /** Agents the store had a model of already (left as they are). */
  readonly existing: readonly string[];
  /** Configured agents without (enough) history: scored by the fleet model. */
  readonly notTrained: readonly string[];
  readonly fleetModel: boolean;
}

/**
 * Trains the configured agents on `histories` and saves their models and the fleet model in the
 * cluster's PostgreSQL (`config.cluster`).
 * @throws {Error} without `config.cluster`.
 */
export async function seedClusterModels(
  config: GatewayConfig,
  histories: ReadonlyMap<string, readonly SecurityEvent[]>,
  logger: Logger,
): Promise<SeedResult> {
  if (!config.cluster) throw new Error('seed needs a configuration with cluster');
  const stores = await openClusterStores(config.cluster, (store) => createDetector(config, store));
  try {
    const threats = createDetector(config, stores.fleetStore);
    const saved: string[] = [];
    const existing: string[] = [];
    const notTrained: string[] = [];
    for (const { agentId, timeZone } of config.agents) {
      const events = histories.get(agentId) ?? [];
      const trained =
        events.length > 0 && threats.train(agentId, events, timeZone ? { timeZone } : {}).ml.trained;
      if (!trained) {
        notTrained.push(agentId);
        continue;
      }
      try {
        await stores.models.saveIfVersion(agentId, THREAT_MODEL_KIND, threats.exportThreatModel(agentId), {
          expectedVersion: null,
          watermark: 0,
        });
        saved.push(agentId);
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
        existing.push(agentId);
      }
    }
    // Agents of the history that are not configured still feed the fleet model.
    for (const [agentId, events] of histories)
      if (!config.agents.some((a) => a.agentId === agentId)) threats.train(agentId, events);
    const fleetModel = (await threats.saveFleetModel()) !== undefined;
    logger.info(
      { saved: saved.length, existing: existing.length, notTrained, fleetModel },
      'cluster models seeded',
    );
    return { saved, existing, notTrained, fleetModel };
  } finally {
    await stores.close();
  }
}
