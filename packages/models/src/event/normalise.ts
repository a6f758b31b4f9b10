// From an input's checked fields to the frozen event: defaults (`success` from `status` and back),
// `agent_id`/`actor` standing in for each other, domains lower-cased, metadata copied safely and bounded.
import { dateValue } from '../validation.js';
import type { CanonicalFields } from './fields.js';
import type { EventLimits } from './limits.js';
import { ParsedEvent, type SecurityEvent } from './parsed-event.js';
import { type Extras, UNSAFE_KEYS } from './spellings.js';

/** Status words read as failure (compared lower-cased); anything else given as a status is success. */
const FAILURE_STATUSES = new Set([
  'failure',
  'failed',
  'fail',
  'error',
  'errored',
  'denied',
  'blocked',
  'rejected',
  'timeout',
  'timed_out',
  'cancelled',
  'canceled',
  'forbidden',
  'unauthorized',
]);

export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Thrown (and turned into a validation issue) when metadata holds more values than allowed: one
 * object, recognised by identity (an `instanceof` test on whatever else was thrown could run a
 * hostile proxy's trap).
 */
export const METADATA_TOO_LARGE = Object.freeze({ reason: 'metadata too large' });

/**
 * Copies plain data, dropping unsafe keys, bounding depth (deeper values become `'[truncated]'`) and
 * the number of values copied (`budget.left`; past it, {@link METADATA_TOO_LARGE}): shared references
 * are copied each time they are met, so without a budget a few kilobytes of them expand without end.
 */
function sanitize(value: unknown, depth: number, budget: { left: number }): unknown {
  if (--budget.left < 0) throw METADATA_TOO_LARGE;
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return dateValue(value) === undefined ? '[not a date]' : value;
  if (depth <= 0) return '[truncated]';
  if (Array.isArray(value)) {
    if (value.length > budget.left) throw METADATA_TOO_LARGE;
    return value.map((item) => sanitize(item, depth - 1, budget));
  }
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (!UNSAFE_KEYS.has(key)) copy[key] = sanitize(item, depth - 1, budget);
  }
  return copy;
}

/** Lower-cased, without a trailing dot. */
function domainName(domain: string): string {
  const lower = domain.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** The frozen event from checked canonical fields and the unknown fields kept as metadata. */
export function finish(data: CanonicalFields, extras: Extras, limits: EventLimits): SecurityEvent {
  const status = data.status;
  let success = data.success;
  if (success === undefined) success = status === undefined || !FAILURE_STATUSES.has(status.toLowerCase());
  const budget = { left: limits.maxMetadataValues + 1 };
  const metadata =
    data.metadata === undefined
      ? {}
      : (sanitize(data.metadata, limits.maxMetadataDepth, budget) as Record<string, unknown>);
  for (const [key, value] of extras) {
    if (!(key in metadata) && value !== undefined)
      metadata[key] = sanitize(value, limits.maxMetadataDepth - 1, budget);
  }
  const resourceUsage: Record<string, number> = {};
  const usage = data.resourceUsage;
  if (usage !== undefined) {
    for (const key of Object.keys(usage)) if (!UNSAFE_KEYS.has(key)) resourceUsage[key] = usage[key]!;
  }
  const event: SecurityEvent = new ParsedEvent(
    data.timestamp,
    data.eventType,
    success,
    status ?? (success ? 'success' : 'failure'),
    resourceUsage,
    metadata,
  );
  const agentId = data.agentId ?? data.actor;
  const actor = data.actor ?? data.agentId;
  if (agentId !== undefined) event.agentId = agentId;
  if (actor !== undefined) event.actor = actor;
  // Named copies, one per optional field of the table, in table order: events from one producer share
  // one shape. A loop over the table's names (keyed stores) made parsing ~18% slower; the test "every
  // field of the table reaches the parsed event" holds this list to the table instead.
  if (data.eventId !== undefined) event.eventId = data.eventId;
  if (data.correlationId !== undefined) event.correlationId = data.correlationId;
  if (data.sessionId !== undefined) event.sessionId = data.sessionId;
  if (data.toolName !== undefined) event.toolName = data.toolName;
  if (data.action !== undefined) event.action = data.action;
  if (data.durationMs !== undefined) event.durationMs = data.durationMs;
  if (data.resourceCount !== undefined) event.resourceCount = data.resourceCount;
  if (data.destinationIp !== undefined) event.destinationIp = data.destinationIp;
  if (data.destinationDomain !== undefined) event.destinationDomain = domainName(data.destinationDomain);
  if (data.filePath !== undefined) event.filePath = data.filePath;
  if (data.fileHash !== undefined) event.fileHash = data.fileHash;
  return Object.freeze(event);
}
