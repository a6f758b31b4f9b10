// The PostgreSQL side of a replica: one pool, the versioned model store and the per-agent log on it
// (tables created at start-up, safe for replicas starting together), and the fleet model.
import type { ThreatDetector } from '@harombe/security-ml';
import { PostgresAgentLog, PostgresModelStore } from '@harombe/store-postgres';
import pg from 'pg';
import type { ClusterConfig } from '../config.js';
import type { ModelSummary } from '../models.js';
import { FleetOnlyStore } from './fleet-only-store.js';

export interface ClusterStores {
  readonly models: PostgresModelStore;
  readonly log: PostgresAgentLog;
  /** What the replica's detectors see: the fleet model only. */
  readonly fleetStore: FleetOnlyStore;
  /** A detector with the fleet model alone (for calls whose agent is not loaded in time). */
  readonly fleet: ThreatDetector;
  close(): Promise<void>;
}

/** Connects, creates the tables when missing, and returns the stores of this replica. */
export async function openClusterStores(
  config: ClusterConfig,
  fleetDetector: (store: FleetOnlyStore) => ThreatDetector,
): Promise<ClusterStores> {
  const { connectionString, schema, poolSize } = config.postgres;
  const pool = new pg.Pool({ connectionString, max: poolSize });
  try {
    const where = { pool, writer: config.replicaId, ...(schema ? { schema } : {}) };
    const models = new PostgresModelStore(where);
    const log = new PostgresAgentLog(where);
    await models.migrate();
    await log.migrate();
    const fleetStore = new FleetOnlyStore(models);
    return { models, log, fleetStore, fleet: fleetDetector(fleetStore), close: () => pool.end() };
  } catch (error) {
    await pool.end();
    throw error;
  }
}

/**
 * Start-up of a replica: only the fleet model is loaded (into both detectors); agents are loaded
 * and replayed on first sight. Their models come from `harombe-gateway seed` (or any trainer that
 * saves version-1 artifacts with watermark 0).
 */
export async function prepareClusterModels(
  threats: ThreatDetector,
  stores: ClusterStores,
): Promise<ModelSummary> {
  const stored = (await threats.loadFleetModel()) && (await stores.fleet.loadFleetModel());
  return { trained: [], loaded: [], coldStart: [], fleetModel: stored ? 'stored' : 'none' };
}
