// Start-up: every agent gets the best model there is. Trained from the history file when one is
// configured (which also builds the fleet model for cold starts), then replaced by its persisted model
// when the store has one (that model carries what the agent learned since); newly trained models are
// saved.
import { groupByAgent, readEvents } from '@harombe/event-log';
import type { SecurityEvent, ThreatDetector } from '@harombe/security-ml';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config.js';

export interface ModelSummary {
  /** Agents trained from the history file. */
  readonly trained: readonly string[];
  /** Configured agents whose persisted model was loaded. */
  readonly loaded: readonly string[];
  /** Configured agents without a model of their own: scored by the fleet model. */
  readonly coldStart: readonly string[];
}

/** Events of a JSONL history, grouped by agent; bad lines are logged (the first few) and skipped. */
export async function readHistory(path: string, logger: Logger): Promise<Map<string, SecurityEvent[]>> {
  let skipped = 0;
  const events = await readEvents(path, {
    strict: false,
    onSkip: (line, reason) => {
      skipped++;
      if (skipped <= 5) logger.warn({ path, line, reason }, 'history line skipped');
    },
  });
  if (skipped > 0) logger.warn({ path, skipped }, 'history lines skipped');
  return groupByAgent(events);
}

export async function prepareModels(
  threats: ThreatDetector,
  config: GatewayConfig,
  logger: Logger,
): Promise<ModelSummary> {
  const zones = new Map(config.agents.map((a) => [a.agentId, a.timeZone]));
  const trained: string[] = [];
  if (config.detection.history) {
    const history = await readHistory(config.detection.history, logger);
    for (const [agentId, events] of history) {
      const zone = zones.get(agentId);
      const result = threats.train(agentId, events, zone ? { timeZone: zone } : {});
      if (result.ml.trained) trained.push(agentId);
      else logger.warn({ agentId, reason: result.ml.reason }, 'agent not trained');
    }
  }
  const loaded: string[] = [];
  const coldStart: string[] = [];
  for (const { agentId } of config.agents) {
    // A stored model wins over a fresh one: it holds what the agent learned while serving.
    if (await threats.loadIfStored(agentId)) {
      loaded.push(agentId);
    } else if (trained.includes(agentId)) {
      await threats.save(agentId);
    } else {
      coldStart.push(agentId);
    }
  }
  return { trained, loaded, coldStart };
}
