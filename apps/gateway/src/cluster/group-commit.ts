// Group commit: appends of many agents wait a few milliseconds (or until a batch is full) and share
// one transaction (`PostgresAgentLog.appendBatch`), so commits stay well below calls under load. Each
// agent keeps its own compare-and-set; an agent appears at most once per transaction (a second
// append of one agent waits for the next).
import type { AppendConflict, AppendResult, LogEntryInput, PostgresAgentLog } from '@harombe/store-postgres';

interface Pending {
  readonly agentId: string;
  readonly entry: LogEntryInput;
  readonly expectedHead: number;
  readonly resolve: (result: AppendResult | AppendConflict) => void;
  readonly reject: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** How long the first append of a batch waits for others, in ms. */
  readonly windowMs: number;
  /** Appends per transaction at most. */
  readonly batchSize: number;
  /** Called with the size of every batch committed (for metrics). */
  readonly onCommit?: (appends: number) => void;
}

export class GroupCommit {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly log: PostgresAgentLog,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Appends one entry at `expectedHead + 1` in the next transaction; resolves with that agent's result. */
  append(
    agentId: string,
    entry: LogEntryInput,
    expectedHead: number,
  ): Promise<AppendResult | AppendConflict> {
    return new Promise((resolve, reject) => {
      this.pending.push({ agentId, entry, expectedHead, resolve, reject });
      if (this.pending.length >= this.options.batchSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.windowMs);
    });
  }

  /** Commits what is pending now and waits for every transaction in flight. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.inFlight.size > 0) {
      if (this.pending.length > 0) this.flush();
      await Promise.allSettled([...this.inFlight]);
    }
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch: Pending[] = [];
    const later: Pending[] = [];
    const agents = new Set<string>();
    for (const append of this.pending) {
      if (batch.length < this.options.batchSize && !agents.has(append.agentId)) {
        agents.add(append.agentId);
        batch.push(append);
      } else later.push(append);
    }
    this.pending = later;
    if (later.length > 0) this.timer = setTimeout(() => this.flush(), 0);
    if (batch.length === 0) return;
    const commit = this.log
      .appendBatch(
        batch.map((a) => ({ agentId: a.agentId, entries: [a.entry], expectedHead: a.expectedHead })),
      )
      .then(
        (results) => {
          this.options.onCommit?.(batch.length);
          for (const [index, result] of results.entries()) batch[index]!.resolve(result);
        },
        (error: unknown) => {
          for (const append of batch) append.reject(error);
        },
      );
    this.inFlight.add(commit);
    void commit.finally(() => this.inFlight.delete(commit));
  }
}
