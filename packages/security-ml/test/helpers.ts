// Shared by this package's tests: the spec's history and a store that counts what it is asked.
import { MemoryModelStore } from '../src/index.js';

export const HOUR = 3_600_000;
export const now = Date.UTC(2026, 2, 4, 14, 0);

/** The spec's Example 2 history: an event every hour for 100 hours, 2-4 resources, 150-249 ms. */
export const specHistory = Array.from({ length: 100 }, (_, i) => ({
  timestamp: new Date(now - i * HOUR),
  event_type: 'tool_call',
  resource_count: 2 + (i % 3),
  duration_ms: 150 + (i % 100),
  success: true,
}));

/** A store that notes every agent it is asked about (`has`) and every artifact it hands out (`load`). */
export class CountingStore extends MemoryModelStore {
  readonly lookups: string[] = [];
  readonly loads: string[] = [];
  override has(agentId: string, kind: string): Promise<boolean> {
    this.lookups.push(agentId);
    return super.has(agentId, kind);
  }
  override load(agentId: string, kind: string): Promise<unknown> {
    this.loads.push(agentId);
    return super.load(agentId, kind);
  }
}
