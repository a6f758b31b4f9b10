// What makes a call risky in itself, whatever the agent's state: a credential or secret location
// the agent has not established reading, a tool it has never used, a destination new to it while it
// has an open incident. Such a call is denied (a state anomaly only throttles).
import { destinationOf, type SecurityEvent, SensitiveMatcher } from '@harombe/models';
import type {
  BaselineScores,
  SensitiveCatalogue,
  ThreatAssessment,
  ThreatDetector,
} from '@harombe/security-ml';
import type { ResponseConfig } from './config.js';

/** The rules a risky call can break; logged, and in `_meta` when configured. */
export type CallRisk = 'sensitive-location' | 'never-used-tool' | 'new-destination-during-incident';

export interface RiskFinding {
  readonly risk: CallRisk;
  /** What it concerns: the catalogue entry, the tool, the destination. */
  readonly detail: string;
}

/**
 * A baseline dimension at or above this score found the event unusual (a tail of about 3%), as the
 * detector's explanations count it.
 */
export const FLAGGED = 0.5;

function flagged(scores: BaselineScores | null, dimension: keyof BaselineScores): boolean {
  return scores !== null && scores[dimension] >= FLAGGED;
}

export class CallRisks {
  private readonly matcher: SensitiveMatcher;

  constructor(
    private readonly config: ResponseConfig,
    catalogue: SensitiveCatalogue,
    private readonly threats: ThreatDetector,
  ) {
    this.matcher = new SensitiveMatcher(catalogue);
  }

  /** The risks of a call, given its verdict and whether the agent had an open incident before it. */
  of(
    agentId: string,
    event: SecurityEvent,
    assessment: ThreatAssessment,
    incidentOpen: () => boolean,
  ): RiskFinding[] {
    const found: RiskFinding[] = [];
    const baseline = assessment.baseline;
    if (this.config.denySensitiveLocations && event.filePath !== undefined) {
      const entry = this.matcher.match(event.filePath);
      // The baseline's content dimension is quiet only for a catalogue location this agent reads
      // as a matter of course; without a baseline nothing is established.
      if (entry !== undefined && (baseline === null || flagged(baseline, 'content'))) {
        found.push({ risk: 'sensitive-location', detail: entry.id });
      }
    }
    if (this.config.denyNewTools && event.toolName !== undefined && !assessment.coldStart) {
      const tools = this.threats.learner.getBaseline(agentId)?.pattern.toolFrequencies;
      if (tools !== undefined && !Object.hasOwn(tools, event.toolName)) {
        found.push({ risk: 'never-used-tool', detail: event.toolName });
      }
    }
    const destination = destinationOf(event);
    if (this.config.denyNewDestinationsDuringIncident && destination !== undefined) {
      const newToForest = (assessment.ml.contributingFactors.new_destination ?? 0) > 0;
      // Asked last: whether an incident is open costs a look at the detector's incidents.
      if ((flagged(baseline, 'novelty') || newToForest) && incidentOpen()) {
        found.push({ risk: 'new-destination-during-incident', detail: destination });
      }
    }
    return found;
  }
}
