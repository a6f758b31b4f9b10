// Whether an agent has an open incident, as the response policy asks it. Until `ThreatAssessment`
// carries the detector's own incident (`incident: { id, opened } | null`), the gateway keeps a
// stand-in: an agent has an open incident when it had a threat verdict within the configured window.
import type { ThreatAssessment } from '@harombe/security-ml';

export class OpenIncidents {
  /** Per agent, the gateway time (ms) of its newest threat verdict. One entry per agent seen. */
  private readonly lastThreatAt = new Map<string, number>();

  constructor(private readonly windowMs: number) {}

  /**
   * Whether the agent had an open incident before this verdict, then notes the verdict. The one
   * place to switch to the detector's incidents: `return assessment.incident?.opened === false;`
   * (this verdict joined an incident that was already open).
   */
  openBefore(agentId: string, assessment: ThreatAssessment, nowMs: number): boolean {
    const last = this.lastThreatAt.get(agentId);
    const open = last !== undefined && nowMs - last < this.windowMs;
    if (assessment.isThreat) this.lastThreatAt.set(agentId, nowMs);
    else if (!open && last !== undefined) this.lastThreatAt.delete(agentId);
    return open;
  }
}
