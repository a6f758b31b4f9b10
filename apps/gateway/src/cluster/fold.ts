// An agent's state is the fold of its log over its first stored model. One entry folded in, exactly
// as the live path changed the state: a call is replayed (`CallGuard.replay`), a checkpoint marker
// makes the state the exported model (what a replica loading that checkpoint installs).
import type { ThreatDetector } from '@harombe/security-ml';
import type { CallGuard } from '../guard.js';
import type { LogPayload } from './log-entries.js';

/** Folds one log entry into the agent's state on `threats` (the detector `guard` assesses with). */
export function foldEntry(
  threats: ThreatDetector,
  guard: CallGuard,
  agentId: string,
  payload: LogPayload,
): void {
  if (payload.type === 'checkpoint') {
    if (threats.hasModel(agentId)) threats.importThreatModel(agentId, exportedModel(threats, agentId));
    return;
  }
  guard.replay(agentId, {
    event: payload.event,
    nowMs: payload.nowMs,
    assessed: payload.assessed,
    recorded: payload.recorded,
  });
}

/** The agent's model as a store holds it: a JSON copy, what a loading replica gets. */
export function exportedModel(threats: ThreatDetector, agentId: string): unknown {
  return JSON.parse(JSON.stringify(threats.exportThreatModel(agentId)));
}
