// The common case of event parsing in one pass, for speed: every key spelled once, every value valid.
// Anything else is left to the general path (the zod schema), which decides and explains.
import type { z } from 'zod';
import { toEpochMillis } from '../timestamp.js';
import type { CanonicalFields, FieldKind } from './fields.js';
import type { EventLimits } from './limits.js';
import { finish, isPlainRecord } from './normalise.js';
import { ParsedEvent, type SecurityEvent } from './parsed-event.js';
import { DOMAIN_PATTERN } from './schema.js';
import { type Extras, NO_EXTRAS, SPELLINGS, UNSAFE_KEYS } from './spellings.js';

/**
 * Whether a value is valid for a field of `kind` (checked by hand; the same rules as the schema).
 * Timestamps are read, not only checked, by the caller.
 */
function validValue(
  kind: Exclude<FieldKind, 'timestamp'>,
  value: unknown,
  limits: EventLimits,
  ipSchema: z.ZodType,
): boolean {
  switch (kind) {
    case 'id':
      return typeof value === 'string' && value.length > 0 && value.length <= limits.maxIdLength;
    case 'name':
      return typeof value === 'string' && value.length > 0 && value.length <= limits.maxNameLength;
    case 'path':
      return typeof value === 'string' && value.length > 0 && value.length <= limits.maxPathLength;
    case 'ip':
      return typeof value === 'string' && ipSchema.safeParse(value).success;
    case 'domain':
      return (
        typeof value === 'string' && value.length > 0 && value.length <= 253 && DOMAIN_PATTERN.test(value)
      );
    case 'duration':
      return typeof value === 'number' && value >= 0 && value !== Number.POSITIVE_INFINITY;
    case 'count':
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
    case 'boolean':
      return typeof value === 'boolean';
    case 'resources': {
      if (!isPlainRecord(value)) return false;
      let keys = 0;
      for (const key in value) {
        const counter = value[key];
        if (
          key.length > limits.maxNameLength ||
          typeof counter !== 'number' ||
          !(counter >= 0) ||
          counter === Number.POSITIVE_INFINITY
        ) {
          return false;
        }
        keys++;
      }
      return keys <= limits.maxResourceKeys;
    }
    case 'metadata':
      return isPlainRecord(value) || value instanceof ParsedEvent;
  }
}

/** A placeholder until the timestamp is read. */
const NO_DATE = new Date(0);
const EVENT_TYPE_BIT = SPELLINGS.get('eventType')!.bit;

/**
 * The common case in one pass, for speed: every key spelled once, every value valid. Returns the
 * event, or `undefined` to let the general path (the zod schema) decide and explain. It must never
 * accept what the schema rejects, and must give the same event (a property test holds it to that).
 */
export function fastParse(
  input: Record<string, unknown>,
  limits: EventLimits,
  ipSchema: z.ZodType,
): SecurityEvent | undefined {
  // Every field present from the start (one object shape), written out: its type makes the compiler
  // name a field of the table missing here (a copy of a shared object made parsing ~3% slower).
  // `timestamp` is set last.
  const fields: CanonicalFields = {
    timestamp: NO_DATE,
    eventType: '',
    success: undefined,
    status: undefined,
    eventId: undefined,
    correlationId: undefined,
    sessionId: undefined,
    agentId: undefined,
    actor: undefined,
    toolName: undefined,
    action: undefined,
    durationMs: undefined,
    resourceCount: undefined,
    destinationIp: undefined,
    destinationDomain: undefined,
    filePath: undefined,
    fileHash: undefined,
    resourceUsage: undefined,
    metadata: undefined,
  };
  const slots = fields as unknown as Record<string, unknown>;
  let seen = 0;
  let ms: number | undefined;
  let extras: Extras | undefined;
  for (const key of Object.keys(input)) {
    const spelling = SPELLINGS.get(key);
    if (spelling === undefined) {
      if (!UNSAFE_KEYS.has(key)) {
        extras ??= [];
        extras.push([key, input[key]]);
      }
      continue;
    }
    const value = input[key];
    if (value === undefined || value === null) continue;
    // Both spellings of one field: which wins is the general path's business.
    if ((seen & spelling.bit) !== 0) return undefined;
    seen |= spelling.bit;
    if (spelling.kind === 'timestamp') {
      const epoch = toEpochMillis(value);
      if (typeof epoch !== 'number') return undefined;
      ms = epoch;
    } else if (validValue(spelling.kind, value, limits, ipSchema)) slots[spelling.field] = value;
    else return undefined;
  }
  if ((seen & EVENT_TYPE_BIT) === 0 || ms === undefined) return undefined;
  const metadata = fields.metadata;
  if (
    (extras !== undefined || metadata !== undefined) &&
    Object.keys(metadata ?? {}).length + (extras?.length ?? 0) > limits.maxMetadataKeys
  ) {
    return undefined;
  }
  fields.timestamp = new Date(ms);
  return finish(fields, extras ?? NO_EXTRAS, limits);
}
