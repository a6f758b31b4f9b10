// Whether an agent has an open incident, as the response policy asks it: the detector's own
// incidents (`ThreatDetector.incidents`), one of the agent's (not a campaign, not resolved) whose
// last alert is within the configured window of this call, other than the one this call opened.
import type { ThreatAssessment, ThreatDetector } from '@harombe/security-ml';

export class OpenIncidents {
  constructor(
    private readonly threats: ThreatDetector,
    private readonly windowMs: number,
  ) {}

  /** Whether the agent had an incident open before this verdict (in event time). */
  openBefore(agentId: string, assessment: ThreatAssessment): boolean {
    const since = new Date(assessment.timestamp.getTime() - this.windowMs);
    const own = assessment.incident?.opened ? assessment.incident.id : undefined;
    return this.threats
      .incidents({ agentId, campaign: false, since })
      .some((incident) => incident.status !== 'resolved' && incident.id !== own);
  }
}
