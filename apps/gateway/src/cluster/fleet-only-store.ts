// The store a replica's ThreatDetector sees in multi-node mode: the fleet model only. Agents' threat
// models are loaded, replayed and checkpointed by the cluster node (with versions and log positions);
// hiding them here keeps the detector's own lifecycle from ever installing one without its replay.
import type { ArtifactKind, ArtifactRef, ModelStore } from '@harombe/models';
import { FLEET_MODEL_KIND, NotFoundError } from '@harombe/security-ml';

export class FleetOnlyStore implements ModelStore {
  constructor(private readonly store: ModelStore) {}

  async save(agentId: string, kind: ArtifactKind, body: unknown): Promise<ArtifactRef> {
    if (kind !== FLEET_MODEL_KIND)
      throw new Error(`multi-node mode: ${kind} artifacts are saved by the cluster node, with versions`);
    return this.store.save(agentId, kind, body);
  }

  async load(agentId: string, kind: ArtifactKind): Promise<unknown> {
    if (kind !== FLEET_MODEL_KIND) throw new NotFoundError(agentId, kind);
    return this.store.load(agentId, kind);
  }

  async has(agentId: string, kind: ArtifactKind): Promise<boolean> {
    return kind === FLEET_MODEL_KIND && this.store.has(agentId, kind);
  }

  async list(kind?: ArtifactKind): Promise<ArtifactRef[]> {
    return kind === FLEET_MODEL_KIND ? this.store.list(kind) : [];
  }

  async delete(): Promise<boolean> {
    return false;
  }
}
