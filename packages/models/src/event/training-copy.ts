// Training copies: the part of an event that learning reads (and its id), for keeping many events.
import type { SecurityEventInput, TrainingField } from './fields.js';
import { ParsedEvent, type SecurityEvent } from './parsed-event.js';
import { ensureSecurityEvent } from './parser.js';

/** Empty resource usage and metadata of training copies: one shared frozen object each. */
export const NO_RESOURCES: Record<string, number> = Object.freeze({}) as Record<string, number>;
export const NO_METADATA: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/**
 * A training copy of a parsed event, or of fields taken from parsed events (this package's own use:
 * {@link trainingCopy}, `CompactEvents`), marked as parsed. Not exported from the package: callers outside it could mark
 * unchecked values as trusted.
 */
export function trustedTrainingCopy(f: Pick<SecurityEvent, TrainingField>): SecurityEvent {
  const usage = f.resourceUsage;
  const copy: SecurityEvent = new ParsedEvent(
    f.timestamp,
    f.eventType,
    f.success,
    f.status,
    Object.keys(usage).length === 0 ? NO_RESOURCES : usage,
    NO_METADATA,
  );
  // Named copies of the optional training fields, in table order, like `finish` (and for the same
  // reasons): copies share one shape per set of fields. Held to the table by a test, like `finish`.
  if (f.eventId !== undefined) copy.eventId = f.eventId;
  if (f.toolName !== undefined) copy.toolName = f.toolName;
  if (f.durationMs !== undefined) copy.durationMs = f.durationMs;
  if (f.resourceCount !== undefined) copy.resourceCount = f.resourceCount;
  if (f.destinationIp !== undefined) copy.destinationIp = f.destinationIp;
  if (f.destinationDomain !== undefined) copy.destinationDomain = f.destinationDomain;
  if (f.filePath !== undefined) copy.filePath = f.filePath;
  return Object.freeze(copy);
}

/**
 * A lighter copy of an event, for keeping many of them: what learning reads (time, type, success,
 * status, tool, duration, resource count and usage, destination, file path) and the event id; no
 * metadata, actor, session, correlation, action or hash. Empty usage and metadata are one shared
 * frozen object. Parsed (trusted) like its source. To keep thousands, see `CompactEvents`.
 * @throws {ValidationError} `event` is invalid (it is parsed first unless it was already).
 */
export function trainingCopy(input: SecurityEventInput | SecurityEvent): SecurityEvent {
  return trustedTrainingCopy(ensureSecurityEvent(input));
}
