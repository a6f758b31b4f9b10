// Open MCP sessions and who holds them. Besides the gateway-wide limit there is one per agent, so
// that one token cannot open every session and lock the other agents out.

/** Why a new session was refused: the gateway is full, or this agent holds its share already. */
export type SessionRefusal = 'gateway-full' | 'agent-full';

export interface SessionLimits {
  /** Sessions open (or being opened) at most, across all agents. */
  readonly max: number;
  /** Sessions open (or being opened) at most per agent. */
  readonly maxPerAgent: number;
}

/**
 * A place taken for a session while it is being opened, so that concurrent initialisations cannot
 * all pass the limit check before any of them is counted. It is filled once the session has an id,
 * and released when the session closes or never opens.
 */
export interface SessionSlot<S> {
  fill(sessionId: string, session: S): void;
  /** Gives the place back; calling it again does nothing. */
  release(): void;
}

export class SessionTable<S extends { readonly agentId: string }> {
  private readonly open = new Map<string, S>();
  /** Places taken per agent: open sessions and those being opened. */
  private readonly taken = new Map<string, number>();
  private totalTaken = 0;

  constructor(private readonly limits: SessionLimits) {}

  /** Open sessions (those being opened are not counted). */
  get size(): number {
    return this.open.size;
  }

  get(sessionId: string): S | undefined {
    return this.open.get(sessionId);
  }

  values(): IterableIterator<S> {
    return this.open.values();
  }

  /**
   * Takes a place for a session `agentId` is opening, or says which limit refuses it. The agent's
   * own limit is checked first: an agent over its share is told so, whatever the others do.
   */
  reserve(agentId: string): SessionSlot<S> | SessionRefusal {
    const held = this.taken.get(agentId) ?? 0;
    if (held >= this.limits.maxPerAgent) return 'agent-full';
    if (this.totalTaken >= this.limits.max) return 'gateway-full';
    this.taken.set(agentId, held + 1);
    this.totalTaken++;
    let sessionId: string | undefined;
    let released = false;
    return {
      fill: (id, session) => {
        if (released) return;
        sessionId = id;
        this.open.set(id, session);
      },
      release: () => {
        if (released) return;
        released = true;
        if (sessionId !== undefined) this.open.delete(sessionId);
        this.totalTaken--;
        const remaining = (this.taken.get(agentId) ?? 1) - 1;
        if (remaining > 0) this.taken.set(agentId, remaining);
        else this.taken.delete(agentId);
      },
    };
  }
}
