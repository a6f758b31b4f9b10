// MemoryModelStore: the same contract in memory, for tests and embedding. Bodies are stored as JSON
// text, so callers never share objects with the store.
import {
  type ArtifactKind,
  ArtifactKindSchema,
  type ArtifactRef,
  type ModelStore,
  parseAgentId,
  parseOrThrow,
} from '@harombe/models';
import { CorruptError, NotFoundError } from './errors.js';

export class MemoryModelStore implements ModelStore {
  private readonly artifacts = new Map<string, { agentId: string; kind: string; text: string }>();

  async save(agentId: string, kind: ArtifactKind, body: unknown): Promise<ArtifactRef> {
    const id = parseAgentId(agentId);
    const k = parseOrThrow(ArtifactKindSchema, kind, 'kind');
    const text = JSON.stringify(body);
    if (text === undefined) throw new CorruptError('the artifact body is not JSON-serializable', undefined);
    const location = `memory:${k}/${encodeURIComponent(id)}`;
    this.artifacts.set(`${k}\u0000${id}`, { agentId: id, kind: k, text });
    return { agentId: id, kind: k, location };
  }

  async load(agentId: string, kind: ArtifactKind): Promise<unknown> {
    const found = this.artifacts.get(`${kind}\u0000${agentId}`);
    if (!found) throw new NotFoundError(agentId, kind);
    return JSON.parse(found.text);
  }

  async has(agentId: string, kind: ArtifactKind): Promise<boolean> {
    return this.artifacts.has(`${kind}\u0000${agentId}`);
  }

  async list(kind?: ArtifactKind): Promise<ArtifactRef[]> {
    return [...this.artifacts.values()]
      .filter((a) => kind === undefined || a.kind === kind)
      .map((a) => ({
        agentId: a.agentId,
        kind: a.kind,
        location: `memory:${a.kind}/${encodeURIComponent(a.agentId)}`,
      }));
  }

  async delete(agentId: string, kind: ArtifactKind): Promise<boolean> {
    return this.artifacts.delete(`${kind}\u0000${agentId}`);
  }
}
