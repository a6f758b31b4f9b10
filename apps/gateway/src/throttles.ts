// The throttle book: which agents are paused, until when, and at what pace a paused agent is paused
// again. A state anomaly (calls or failures per hour) lasts as long as the detector's windows hold
// the burst, up to an hour; pausing for all of that time would lock the agent out of every tool,
// so a state anomaly pauses the agent once, for the configured time, and afterwards only a renewed
// burst (as many calls within one throttle period as the one that was paused) pauses it again. The
// episode ends when a verdict finds the state ordinary again.

/** Calls remembered per agent at most (the pace of a burst is counted up to this). */
const MAX_REMEMBERED_CALLS = 1024;
/** A paused burst sets a pace of at least two calls per period: one call alone is never a burst. */
const MIN_PACE = 2;

interface AgentThrottle {
  /** Gateway times (ms) of the agent's recent calls decided outside a pause, oldest first. */
  readonly calls: number[];
  /** End of the current pause (ms); in the past when there is none. */
  until: number;
  /** Calls per period that paused the agent in the current episode; 0 outside an episode. */
  pace: number;
}

export class Throttles {
  /** One entry per agent that called (the agents are the configured ones: bounded). */
  private readonly agents = new Map<string, AgentThrottle>();

  constructor(private readonly periodMs: number) {}

  /** Milliseconds left of the agent's pause at `nowMs`, or 0 when it is not paused. */
  remainingMs(agentId: string, nowMs: number): number {
    const until = this.agents.get(agentId)?.until ?? 0;
    return Math.max(0, until - nowMs);
  }

  /** Notes a call the agent made outside a pause; the pace of its calls is counted from these. */
  noteCall(agentId: string, nowMs: number): void {
    let agent = this.agents.get(agentId);
    if (agent === undefined) {
      agent = { calls: [], until: 0, pace: 0 };
      this.agents.set(agentId, agent);
    }
    const since = nowMs - this.periodMs;
    while (agent.calls.length > 0 && agent.calls[0]! <= since) agent.calls.shift();
    agent.calls.push(nowMs);
    if (agent.calls.length > MAX_REMEMBERED_CALLS) agent.calls.shift();
  }

  /**
   * A state anomaly on the call just noted (at the same `nowMs`): pauses the agent for one period when it starts an episode,
   * or when the agent's calls within the last period reach the pace of the burst that paused it.
   * @returns the pause in milliseconds, or 0 when the anomaly is an echo of a pause already served.
   */
  stateAnomaly(agentId: string, nowMs: number): number {
    const agent = this.agents.get(agentId);
    if (agent === undefined) return 0;
    const recent = agent.calls.length;
    if (agent.pace > 0 && recent < agent.pace) return 0;
    agent.pace = Math.max(MIN_PACE, recent);
    agent.until = nowMs + this.periodMs;
    return this.periodMs;
  }

  /** The agent's state is ordinary again: the episode is over, the next state anomaly pauses it. */
  endEpisode(agentId: string): void {
    const agent = this.agents.get(agentId);
    if (agent !== undefined) agent.pace = 0;
  }
}
