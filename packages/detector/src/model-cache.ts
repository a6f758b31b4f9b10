// The agents' models in memory, bounded by count and by estimated bytes; the least recently used
// go first. Marking a use is one counter increment, no map update per event.
import type { AgentModel } from './agent-model.js';

export class ModelCache {
  private readonly models = new Map<string, AgentModel>();
  private readonly bytes = new Map<string, number>();
  private totalBytes = 0;
  /** Uses of models so far: each model's `lastUsed` orders the cache for eviction. */
  private uses = 0;

  constructor(private readonly limits: { readonly maxModels: number; readonly maxModelBytes: number }) {}

  get(agentId: string): AgentModel | undefined {
    return this.models.get(agentId);
  }

  has(agentId: string): boolean {
    return this.models.has(agentId);
  }

  keys(): IterableIterator<string> {
    return this.models.keys();
  }

  /** Marks a model as most recently used. */
  touch(model: AgentModel): void {
    model.lastUsed = ++this.uses;
  }

  /** Puts the agent's model in (replacing its old one), then drops the least recently used past the limits. */
  install(agentId: string, model: AgentModel): void {
    this.evict(agentId);
    const bytes = model.estimatedBytes();
    this.models.set(agentId, model);
    this.bytes.set(agentId, bytes);
    this.totalBytes += bytes;
    model.lastUsed = ++this.uses;
    while (
      this.models.size > 1 &&
      (this.models.size > this.limits.maxModels || this.totalBytes > this.limits.maxModelBytes)
    ) {
      // The least recently used goes: a scan, but only when a model is installed over the limit.
      let oldest: string | undefined;
      let oldestUse = Number.POSITIVE_INFINITY;
      for (const [id, m] of this.models) {
        if (id !== agentId && m.lastUsed < oldestUse) {
          oldest = id;
          oldestUse = m.lastUsed;
        }
      }
      if (oldest === undefined) break;
      this.evict(oldest);
    }
  }

  /** Drops an agent's model; whether there was one. */
  evict(agentId: string): boolean {
    const bytes = this.bytes.get(agentId) ?? 0;
    this.bytes.delete(agentId);
    this.totalBytes -= bytes;
    return this.models.delete(agentId);
  }

  stats(): { models: number; estimatedBytes: number } {
    return { models: this.models.size, estimatedBytes: this.totalBytes };
  }
}
