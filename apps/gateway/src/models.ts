// Start-up: every agent gets the best model there is, by ThreatDetector.prepare: trained from the
// history file when one is configured (which also builds the fleet model for cold starts), replaced by
// its persisted model when the store has one (that model carries what the agent learned since); newly
// trained models are saved. Here: reading the history file, and logging.
import { groupByAgent, readEvents } from '@harombe/event-log';
import type { ModelStore } from '@harombe/models';
import { type SecurityEvent, sensitiveCatalogue, ThreatDetector } from '@harombe/security-ml';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config.js';

export interface ModelSummary {
  /** Agents trained from the history file. */
  readonly trained: readonly string[];
  /** Configured agents whose persisted model was loaded. */
  readonly loaded: readonly string[];
  /** Configured agents without a model of their own: scored by the fleet model. */
  readonly coldStart: readonly string[];
  /** Where the fleet model came from: trained from the history (and saved), the store, or none. */
  readonly fleetModel: 'trained' | 'stored' | 'none';
}

/**
 * The gateway's detector as configured: files in `detection.modelDir`, or `store` when given (the
 * multi-node mode's). The catalogue the baseline judges content by is the one the gateway denies by.
 */
export function createDetector(config: GatewayConfig, store?: ModelStore): ThreatDetector {
  return new ThreatDetector({
    mode: config.detection.mode,
    contamination: config.detection.contamination,
    seed: config.detection.seed,
    ...(store ? { store } : config.detection.modelDir ? { modelDir: config.detection.modelDir } : {}),
    baseline: { sensitiveLocations: sensitiveCatalogue({ add: config.responses.sensitiveLocations }) },
  });
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

/**
 * Prepares every agent's model with `ThreatDetector.prepare`: trained from the history file when one
 * is configured, the stored model winning, newly trained models of configured agents saved.
 */
export async function prepareModels(
  threats: ThreatDetector,
  config: GatewayConfig,
  logger: Logger,
): Promise<ModelSummary> {
  const history = config.detection.history
    ? await readHistory(config.detection.history, logger)
    : new Map<string, SecurityEvent[]>();
  const { trained, notTrained, loaded, coldStart } = await threats.prepare(history, {
    agents: config.agents.map((a) => a.agentId),
    timeZones: new Map(config.agents.map((a) => [a.agentId, a.timeZone])),
  });
  for (const { agentId, reason } of notTrained) logger.warn({ agentId, reason }, 'agent not trained');
  // The fleet model scores agents without a model of their own: the one trained from the history is
  // saved for the other entry points (CLI, audit logger); without a history, the stored one is used.
  let fleetModel: ModelSummary['fleetModel'] = 'none';
  if (trained.length > 0 && (await threats.saveFleetModel()) !== undefined) fleetModel = 'trained';
  else if (trained.length === 0 && (await threats.loadFleetModel())) fleetModel = 'stored';
  if (fleetModel === 'none' && coldStart.length > 0)
    logger.warn(
      { agents: coldStart, unknownAgents: config.detection.unknownAgents },
      'no fleet model: agents without a model of their own follow detection.unknownAgents',
    );
  return { trained, loaded, coldStart, fleetModel };
}
