// Agent ids cross every boundary: one definition of what a valid one is.
import { z } from 'zod';
import { parseOrThrow } from './validation.js';

/** Longest agent id accepted anywhere. */
export const MAX_AGENT_ID_LENGTH = 4096;

/** A non-empty string of at most 4096 characters; any characters (ids never become paths). */
export const AgentIdSchema = z.string().min(1).max(MAX_AGENT_ID_LENGTH);

/**
 * Returns a valid agent id or throws a `ValidationError` naming `agentId`. Checks cheaply first;
 * zod only explains failures.
 */
export function parseAgentId(agentId: unknown): string {
  return typeof agentId === 'string' && agentId.length > 0 && agentId.length <= MAX_AGENT_ID_LENGTH
    ? agentId
    : parseOrThrow(AgentIdSchema, agentId, 'agentId');
}
