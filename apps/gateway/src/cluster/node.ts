// One replica of the multi-node gateway. nginx routes each agent to one replica (consistent hashing
// on its token); that replica holds the agent's state in memory and is the only one appending to the
// agent's log, normally. The truth is PostgreSQL: a checkpoint (the exported threat model, with a
// version and the log position it reflects) and the log after it. So:
// - first sight of an agent: load its checkpoint, replay the log past the checkpoint's position;
// - every call: commit its entry before the answer (group commit), with a compare-and-set on the
//   agent's head; a replica that loses it was overtaken (the agent moved while it still held it):
//   it rebuilds the agent from the store, then appends at the new head;
// - checkpoints on eviction, on shutdown and every `checkpointEvery` entries: a marker entry in the
//   log, then the model saved with the marker's position as watermark (`saveIfVersion`).
// An agent's calls are served one at a time on its replica (`withAgent`): the log order is the order
// in which its state saw them, which is what makes the replay exact.

import { NotFoundError, THREAT_MODEL_KIND, type ThreatDetector } from '@harombe/security-ml';
import {
  type AppendConflict,
  type AppendResult,
  type LogEntry,
  type PostgresAgentLog,
  type PostgresModelStore,
  VersionConflictError,
} from '@harombe/store-postgres';
import type { Logger } from 'pino';
import type { ClusterConfig } from '../config.js';
import { withinDeadline } from '../deadline.js';
import type { CallGuard } from '../guard.js';
import type { GatewayMetrics } from '../metrics.js';
import { exportedModel, foldEntry } from './fold.js';
import { GroupCommit } from './group-commit.js';
import { type CallEntry, checkpointKey, type LogPayload, LogPayloadSchema } from './log-entries.js';

/** Log entries read per query while replaying. */
const REPLAY_PAGE = 1000;
/** Appends of one call retried at most this often after losing the compare-and-set. */
const MAX_APPEND_ATTEMPTS = 8;

/** What a replica knows of an agent it holds. */
interface AgentState {
  /** The last log position folded into the agent's state in memory. */
  position: number;
  /** The version of the checkpoint this replica last loaded or saved; `null`: none stored. */
  version: number | null;
  /** The position of that checkpoint. */
  watermark: number;
}

interface AgentSlot {
  /** The agent's turn: calls, checkpoints and eviction of one agent run one after the other. */
  tail: Promise<void>;
  /** Turns queued or running. */
  busy: number;
  /** The agent's state: loading, or loaded. Unset: not held (or the load failed). */
  state: Promise<AgentState> | undefined;
  lastUsed: number;
  /** A checkpoint is queued in the agent's turn. */
  checkpointQueued: boolean;
}

/** A call entry committed: where, and whether its key was there already (a retry that raced). */
export type Committed =
  | { readonly duplicate: false; readonly seq: number }
  | { readonly duplicate: true; readonly seq: number; readonly stored: LogPayload };

export interface ClusterNodeOptions {
  readonly config: ClusterConfig;
  readonly threats: ThreatDetector;
  readonly guard: CallGuard;
  readonly models: PostgresModelStore;
  readonly log: PostgresAgentLog;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
}

export class ClusterNode {
  readonly replicaId: string;
  private readonly config: ClusterConfig;
  private readonly threats: ThreatDetector;
  private readonly guard: CallGuard;
  private readonly models: PostgresModelStore;
  private readonly log: PostgresAgentLog;
  private readonly logger: Logger;
  private readonly metrics: GatewayMetrics;
  private readonly commits: GroupCommit;
  private readonly slots = new Map<string, AgentSlot>();
  private evicting = false;

  constructor(options: ClusterNodeOptions) {
    ({
      config: this.config,
      threats: this.threats,
      guard: this.guard,
      models: this.models,
      log: this.log,
      logger: this.logger,
      metrics: this.metrics,
    } = options);
    this.replicaId = this.config.replicaId;
    this.commits = new GroupCommit(this.log, {
      windowMs: this.config.commitWindowMs,
      batchSize: this.config.commitBatchSize,
      onCommit: (appends) => {
        this.metrics.logCommits.inc();
        this.metrics.logAppends.inc(appends);
      },
    });
  }

  /** The agents this replica holds in memory (loaded or loading). */
  heldAgents(): string[] {
    return [...this.slots.keys()].filter((agentId) => this.slots.get(agentId)!.state !== undefined);
  }

  /**
   * Runs `turn` in the agent's turn: after every earlier call, checkpoint or eviction of that agent
   * on this replica. The other methods that take an agent id expect to run inside its turn.
   */
  withAgent<T>(agentId: string, turn: () => Promise<T>): Promise<T> {
    const slot = this.slotOf(agentId);
    slot.busy++;
    slot.lastUsed = Date.now();
    const run = slot.tail.then(turn);
    slot.tail = run.then(
      () => this.endTurn(agentId, slot),
      () => this.endTurn(agentId, slot),
    );
    return run;
  }

  /**
   * The stored entry of a call with this log key, if it committed (a retry): answered from the log,
   * the tool is not run again.
   */
  async stored(agentId: string, key: string): Promise<LogPayload | undefined> {
    const entry = await this.log.find(agentId, key);
    return entry && LogPayloadSchema.parse(entry.payload);
  }

  /**
   * Whether the agent's state is ready within `loadBudgetMs`, starting its load on first sight. A
   * load that outlasts the budget (or fails) leaves the decision to `loadFailurePolicy`; the
   * commit waits for it (the log position comes from it).
   */
  async ready(agentId: string): Promise<boolean> {
    try {
      await withinDeadline(
        this.stateOf(agentId),
        this.config.loadBudgetMs,
        () => new Error(`agent state not ready within ${this.config.loadBudgetMs} ms`),
      );
      return true;
    } catch (error) {
      this.logger.warn({ agentId, err: error }, 'agent state not ready: loadFailurePolicy decides');
      return false;
    }
  }

  /**
   * Commits a call's entry at the agent's head and folds it into the agent's state. The live path
   * assessed the call already (its incidents and pauses are in the state), so only what it recorded
   * is applied; when another replica appended first, the agent is rebuilt from the store and the
   * whole entry replayed at the new head. Resolves once the transaction committed.
   * @throws the database's errors, or a load that failed: the call is then not acknowledged.
   */
  async commit(agentId: string, key: string, at: number, entry: CallEntry): Promise<Committed> {
    let state = await this.stateOf(agentId);
    let payload = entry;
    let rebuilt = false;
    for (let attempt = 1; ; attempt++) {
      const result = await this.commits.append(agentId, { key, at, payload }, state.position);
      if (result.status === 'appended') {
        const [appended] = result.entries;
        if (appended!.duplicate) {
          // A retry of this key committed meanwhile through another replica: fold it in from the log.
          await this.rebuild(agentId);
          return { duplicate: true, seq: appended!.seq, stored: LogPayloadSchema.parse(appended!.payload) };
        }
        if (rebuilt) foldEntry(this.threats, this.guard, agentId, payload);
        else if (payload.recorded)
          this.threats.record(agentId, payload.recorded.completed, { learn: payload.recorded.learn });
        state.position = result.head;
        this.afterCommit(agentId, state);
        return { duplicate: false, seq: appended!.seq };
      }
      this.metrics.headConflicts.inc();
      if (attempt >= MAX_APPEND_ATTEMPTS) throw conflictError(result, attempt);
      const before = state.position;
      state = await this.rebuild(agentId);
      rebuilt = true;
      payload = { ...payload, staleBy: payload.staleBy + (state.position - before) };
      this.logger.warn(
        { agentId, expectedHead: result.expectedHead, head: result.head, attempt },
        'another replica appended to this agent: caught up',
      );
    }
  }

  /**
   * Checkpoints the agent: a marker entry at its head, then its model saved with the marker's
   * position as watermark. Resolves `false` when there was nothing to save (not held, no model of
   * its own) or the replica was overtaken (another replica appended: the agent is dropped here).
   */
  async checkpoint(agentId: string): Promise<boolean> {
    const slot = this.slots.get(agentId);
    if (slot?.state === undefined) return false;
    let state: AgentState;
    try {
      state = await slot.state;
    } catch {
      return false;
    }
    if (!this.threats.hasModel(agentId)) return false;
    const artifact = exportedModel(this.threats, agentId);
    const key = checkpointKey(state.position + 1);
    const result = await this.commits.append(
      agentId,
      { key, at: Date.now(), payload: { type: 'checkpoint' } },
      state.position,
    );
    if (result.status === 'conflict' || result.entries[0]!.duplicate) {
      this.metrics.checkpoints.inc({ result: 'stale' });
      this.forget(agentId);
      return false;
    }
    // What a replay does at the marker: the state becomes the exported model.
    this.threats.importThreatModel(agentId, artifact);
    state.position = result.head;
    for (let attempt = 1; ; attempt++) {
      try {
        const saved = await this.models.saveIfVersion(agentId, THREAT_MODEL_KIND, artifact, {
          expectedVersion: state.version,
          watermark: state.position,
        });
        state.version = saved.version;
        state.watermark = state.position;
        this.metrics.checkpoints.inc({ result: 'saved' });
        return true;
      } catch (error) {
        if (!(error instanceof VersionConflictError) || attempt >= 2) throw error;
        // Another replica saved while it held the agent; the log says this state is the newest.
        this.metrics.checkpoints.inc({ result: 'conflict' });
        state.version = error.actualVersion;
      }
    }
  }

  /** Checkpoints every agent held (on shutdown), then commits what is pending. */
  async close(): Promise<void> {
    for (const agentId of this.heldAgents()) {
      try {
        await this.withAgent(agentId, () => this.checkpoint(agentId));
      } catch (error) {
        this.logger.error({ agentId, err: error }, 'checkpoint on shutdown failed');
      }
    }
    await this.commits.drain();
  }

  private slotOf(agentId: string): AgentSlot {
    let slot = this.slots.get(agentId);
    if (slot === undefined) {
      slot = {
        tail: Promise.resolve(),
        busy: 0,
        state: undefined,
        lastUsed: Date.now(),
        checkpointQueued: false,
      };
      this.slots.set(agentId, slot);
    }
    return slot;
  }

  private endTurn(agentId: string, slot: AgentSlot): void {
    slot.busy--;
    if (slot.busy === 0 && slot.state === undefined && this.slots.get(agentId) === slot)
      this.slots.delete(agentId);
  }

  /** The agent's state, loading it (checkpoint, then the log after it) on first sight. */
  private stateOf(agentId: string): Promise<AgentState> {
    const slot = this.slotOf(agentId);
    if (slot.state === undefined) {
      const loading = this.load(agentId);
      slot.state = loading;
      loading.catch((error: unknown) => {
        if (slot.state === loading) slot.state = undefined;
        this.metrics.agentLoads.inc({ result: 'failed' });
        this.logger.error({ agentId, err: error }, 'loading the agent state failed');
      });
    }
    return slot.state;
  }

  private async load(agentId: string): Promise<AgentState> {
    let version: number | null = null;
    let watermark = 0;
    try {
      const stored = await this.models.loadVersioned(agentId, THREAT_MODEL_KIND);
      this.threats.importThreatModel(agentId, stored.body);
      version = stored.version;
      watermark = stored.watermark ?? 0;
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      // No model of its own: its state is the fold of its whole log (scored by the fleet model).
      this.threats.dropAgent(agentId);
    }
    const position = await this.replayAfter(agentId, watermark);
    this.metrics.agentLoads.inc({ result: 'loaded' });
    this.logger.debug({ agentId, version, watermark, position }, 'agent state loaded');
    return { position, version, watermark };
  }

  /** Drops what memory holds of the agent and loads it again (checkpoint, then the log). */
  private rebuild(agentId: string): Promise<AgentState> {
    this.threats.dropAgent(agentId);
    this.slotOf(agentId).state = undefined;
    return this.stateOf(agentId);
  }

  /** Folds the agent's log entries after `position` into its state; resolves to the last position. */
  private async replayAfter(agentId: string, position: number): Promise<number> {
    let after = position;
    for (;;) {
      const page: LogEntry[] = await this.log.read(agentId, { after, limit: REPLAY_PAGE });
      for (const entry of page) {
        foldEntry(this.threats, this.guard, agentId, LogPayloadSchema.parse(entry.payload));
        after = entry.seq;
      }
      this.metrics.replayedEntries.inc(page.length);
      if (page.length < REPLAY_PAGE) return after;
    }
  }

  /** The agent is no longer this replica's: forget it (its next call here loads it again). */
  private forget(agentId: string): void {
    this.threats.dropAgent(agentId);
    const slot = this.slots.get(agentId);
    if (slot) slot.state = undefined;
  }

  /** After a commit: a checkpoint when the replay since the last one grew long; eviction beyond `maxAgents`. */
  private afterCommit(agentId: string, state: AgentState): void {
    const slot = this.slotOf(agentId);
    if (state.position - state.watermark >= this.config.checkpointEvery && !slot.checkpointQueued) {
      slot.checkpointQueued = true;
      this.withAgent(agentId, () => {
        slot.checkpointQueued = false;
        return this.checkpoint(agentId);
      }).catch((error: unknown) => this.logger.error({ agentId, err: error }, 'checkpoint failed'));
    }
    if (this.slots.size > this.config.maxAgents && !this.evicting) {
      this.evicting = true;
      this.evictIdle()
        .catch((error: unknown) => this.logger.error({ err: error }, 'eviction failed'))
        .finally(() => {
          this.evicting = false;
        });
    }
  }

  /** Checkpoints and drops the least recently used idle agents until `maxAgents` are held. */
  private async evictIdle(): Promise<void> {
    const idle = [...this.slots.entries()]
      .filter(([, slot]) => slot.busy === 0 && slot.state !== undefined)
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    let excess = this.slots.size - this.config.maxAgents;
    for (const [agentId] of idle) {
      if (excess <= 0) return;
      await this.withAgent(agentId, async () => {
        await this.checkpoint(agentId);
        this.forget(agentId);
      });
      excess--;
    }
  }
}

function conflictError(result: AppendConflict | AppendResult, attempts: number): Error {
  return new Error(
    `agent ${JSON.stringify(result.agentId)}: the append lost the compare-and-set ${attempts} times; the call is not acknowledged`,
  );
}
