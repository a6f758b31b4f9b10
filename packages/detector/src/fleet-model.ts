// The fleet model: one forest over a seeded reservoir of every agent's training events, which
// scores agents that have no model of their own (cold start). Rebuilt lazily after new training.
import { type SecurityEvent, trainingCopy } from '@harombe/models';
import { AgentModel, type ModelSettings } from './agent-model.js';
import { seededUnit } from './sampling.js';

const FLEET_RESERVOIR = 10_000;
/** The agent id the fleet model is fitted (and stored) under. */
export const FLEET_ID = '(fleet)';

export class FleetModel {
  private model: AgentModel | undefined;
  private stale = false;
  private readonly events: SecurityEvent[] = [];
  private seen = 0;

  constructor(
    private readonly settings: ModelSettings,
    private readonly minEvents: number,
  ) {}

  /** Adds events trained on to the reservoir (seeded reservoir sampling). */
  add(events: readonly SecurityEvent[]): void {
    for (const event of events) {
      this.seen++;
      if (this.events.length < FLEET_RESERVOIR) this.events.push(trainingCopy(event));
      else {
        const j = Math.floor(seededUnit(this.settings.seed, this.seen) * this.seen);
        if (j < FLEET_RESERVOIR) this.events[j] = trainingCopy(event);
      }
    }
    this.stale = true;
  }

  /** The fleet model, rebuilt first when events were added since; undefined below `minEvents`. */
  current(): AgentModel | undefined {
    if (this.stale || !this.model) this.rebuild();
    return this.model;
  }

  /** Installs a stored fleet model; events trained on from now on rebuild it (when there are enough). */
  install(model: AgentModel): void {
    this.model = model;
    this.stale = false;
  }

  /** Rebuilds it now; whether there are enough events for one (else the current model stays). */
  rebuild(): boolean {
    this.stale = false;
    if (this.events.length < this.minEvents) return false;
    this.model = AgentModel.fit(FLEET_ID, this.events, {
      ...this.settings,
      features: { ...this.settings.features, windowFeatures: false },
    });
    return true;
  }
}
