// The event every package consumes. Input comes in the spec's snake_case (`event_type`,
// `duration_ms`) or in camelCase; output is one normalised camelCase `SecurityEvent`.
import { z } from 'zod';
import { ValidationError, type ValidationIssue } from './errors.js';
import { TimestampSchema, toEpochMillis } from './timestamp.js';
import { dateValue, messageOf, readInput, requireArray, toValidationIssues } from './validation.js';

/** Length and size bounds applied while parsing events. */
export interface EventLimits {
  /** Ids: event, correlation, session, agent, actor. Default 256. */
  readonly maxIdLength: number;
  /** Names: event type, tool, action, status. Default 256. */
  readonly maxNameLength: number;
  /** File paths and other long text. Default 4096. */
  readonly maxPathLength: number;
  /** Keys in `resource_usage`. Default 64. */
  readonly maxResourceKeys: number;
  /** Keys in `metadata` (after unknown fields are folded in). Default 256. */
  readonly maxMetadataKeys: number;
  /** Nesting depth of `metadata` values. Default 8. */
  readonly maxMetadataDepth: number;
  /**
   * Values (objects, arrays, items) copied out of `metadata` at most, a value met through several
   * shared references counting each time. Default 10,000: bounds the time and memory one event costs.
   */
  readonly maxMetadataValues: number;
}

export const DEFAULT_EVENT_LIMITS: EventLimits = Object.freeze({
  maxIdLength: 256,
  maxNameLength: 256,
  maxPathLength: 4096,
  maxResourceKeys: 64,
  maxMetadataKeys: 256,
  maxMetadataDepth: 8,
  maxMetadataValues: 10_000,
});

/** A validated, normalised agent event. Parsers return it frozen. */
export interface SecurityEvent {
  /** When it happened. */
  timestamp: Date;
  /** What kind of event (`tool_call`, `file_operation`, ...). Free text, learned per agent. */
  eventType: string;
  /** Whether it succeeded. Derived from `status` when absent; `true` when neither is given. */
  success: boolean;
  /** Outcome text. Derived from `success` (`success`/`failure`) when absent. */
  status: string;
  /** Numeric resource counters (cpu, memory, network bytes, ...). Default `{}`. */
  resourceUsage: Record<string, number>;
  /** Free-form context, plus any unknown top-level input fields. Default `{}`. */
  metadata: Record<string, unknown>;
  eventId?: string;
  correlationId?: string;
  sessionId?: string;
  /** The agent; `agent_id` or, when absent, `actor`. */
  agentId?: string;
  /** Who acted; `actor` or, when absent, `agent_id`. */
  actor?: string;
  toolName?: string;
  action?: string;
  /** Milliseconds, finite and >= 0. */
  durationMs?: number;
  /** Number of resources touched, an integer >= 0. */
  resourceCount?: number;
  destinationIp?: string;
  /** Lower-cased, without a trailing dot. */
  destinationDomain?: string;
  filePath?: string;
  fileHash?: string;
}

/**
 * What callers may pass: every field in snake_case or camelCase. Only `timestamp` and
 * `event_type`/`eventType` are required. Unknown fields are kept in `metadata`.
 */
export interface SecurityEventInput {
  timestamp: Date | string | number;
  event_type?: string;
  eventType?: string;
  success?: boolean;
  status?: string;
  event_id?: string;
  eventId?: string;
  correlation_id?: string;
  correlationId?: string;
  session_id?: string;
  sessionId?: string;
  agent_id?: string;
  agentId?: string;
  actor?: string;
  tool_name?: string;
  toolName?: string;
  action?: string;
  duration_ms?: number;
  durationMs?: number;
  resource_count?: number;
  resourceCount?: number;
  destination_ip?: string;
  destinationIp?: string;
  destination_domain?: string;
  destinationDomain?: string;
  file_path?: string;
  filePath?: string;
  file_hash?: string;
  fileHash?: string;
  resource_usage?: Record<string, number>;
  resourceUsage?: Record<string, number>;
  metadata?: Record<string, unknown>;
  [extra: string]: unknown;
}

type FieldKind =
  | 'id'
  | 'name'
  | 'path'
  | 'ip'
  | 'domain'
  | 'duration'
  | 'count'
  | 'boolean'
  | 'resources'
  | 'metadata'
  | 'timestamp';

/** Canonical (camelCase) field → its kind. Snake-case spellings are derived from the names. */
const FIELDS = {
  timestamp: 'timestamp',
  eventType: 'name',
  success: 'boolean',
  status: 'name',
  eventId: 'id',
  correlationId: 'id',
  sessionId: 'id',
  agentId: 'id',
  actor: 'id',
  toolName: 'name',
  action: 'name',
  durationMs: 'duration',
  resourceCount: 'count',
  destinationIp: 'ip',
  destinationDomain: 'domain',
  filePath: 'path',
  fileHash: 'id',
  resourceUsage: 'resources',
  metadata: 'metadata',
} as const satisfies Record<string, FieldKind>;

type CanonicalField = keyof typeof FIELDS;

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

interface Spelling {
  readonly field: CanonicalField;
  readonly camel: boolean;
  readonly kind: FieldKind;
  /** The field's bit in a set of fields seen. */
  readonly bit: number;
}

/** Every accepted spelling → canonical field. camelCase wins when both spellings are present. */
const SPELLINGS = new Map<string, Spelling>();
(Object.keys(FIELDS) as CanonicalField[]).forEach((field, index) => {
  const kind = FIELDS[field];
  SPELLINGS.set(field, { field, camel: true, kind, bit: 1 << index });
  const snake = snakeCase(field);
  if (snake !== field) SPELLINGS.set(snake, { field, camel: false, kind, bit: 1 << index });
});

const DOMAIN_PATTERN = /^[A-Za-z0-9_.-]+\.?$/;

/** Keys that could reach an object's prototype if copied naively; always dropped. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

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

function nonNegative(kind: 'duration' | 'count') {
  const base = z.number().min(0);
  return kind === 'count' ? base.int() : base;
}

function buildSchema(limits: EventLimits) {
  const id = z.string().min(1).max(limits.maxIdLength);
  const name = z.string().min(1).max(limits.maxNameLength);
  const schemaFor = (kind: FieldKind): z.ZodType => {
    switch (kind) {
      case 'timestamp':
        return TimestampSchema;
      case 'id':
        return id;
      case 'name':
        return name;
      case 'path':
        return z.string().min(1).max(limits.maxPathLength);
      case 'ip':
        return z.union([z.ipv4(), z.ipv6()], { error: 'expected an IPv4 or IPv6 address' });
      case 'domain':
        return z
          .string()
          .min(1)
          .max(253)
          .regex(DOMAIN_PATTERN, 'expected a domain name such as api.example.com');
      case 'duration':
      case 'count':
        return nonNegative(kind);
      case 'boolean':
        return z.boolean();
      case 'resources':
        return z
          .record(z.string().max(limits.maxNameLength), z.number().min(0))
          .refine((r) => Object.keys(r).length <= limits.maxResourceKeys, {
            message: `expected at most ${limits.maxResourceKeys} resource counters`,
          });
      case 'metadata':
        // A parsed event given as metadata is read as the plain record it was before parsing.
        return z.preprocess(
          (v) => (v instanceof ParsedEvent ? { ...v } : v),
          z.record(z.string(), z.unknown()),
        );
    }
  };
  const shape: Record<string, z.ZodType> = {};
  for (const [field, kind] of Object.entries(FIELDS)) {
    shape[field] =
      field === 'timestamp' || field === 'eventType' ? schemaFor(kind) : schemaFor(kind).optional();
  }
  return z.object(shape);
}

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

/** The canonical fields of an event, in one fixed shape. */
interface EventFields {
  timestamp: Date;
  eventType: string;
  success: boolean | undefined;
  status: string | undefined;
  eventId: string | undefined;
  correlationId: string | undefined;
  sessionId: string | undefined;
  agentId: string | undefined;
  actor: string | undefined;
  toolName: string | undefined;
  action: string | undefined;
  durationMs: number | undefined;
  resourceCount: number | undefined;
  destinationIp: string | undefined;
  destinationDomain: string | undefined;
  filePath: string | undefined;
  fileHash: string | undefined;
  resourceUsage: Record<string, number> | undefined;
  metadata: Record<string, unknown> | undefined;
}

/**
 * The common case in one pass, for speed: every key spelled once, every value valid. Returns the
 * event, or `undefined` to let the general path (the zod schema) decide and explain. It must never
 * accept what the schema rejects, and must give the same event (a property test holds it to that).
 */
function fastParse(
  input: Record<string, unknown>,
  limits: EventLimits,
  ipSchema: z.ZodType,
): SecurityEvent | undefined {
  // Every field present from the start (one object shape); `timestamp` is set last.
  const fields: EventFields = {
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
  let extras: Array<[string, unknown]> | undefined;
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

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Thrown (and turned into a validation issue) when metadata holds more values than allowed: one
 * object, recognised by identity (an `instanceof` test on whatever else was thrown could run a
 * hostile proxy's trap).
 */
const METADATA_TOO_LARGE = Object.freeze({ reason: 'metadata too large' });

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

interface Normalised {
  readonly canonical: Record<string, unknown>;
  /** Fields we do not know (kept as metadata), when there are any. */
  readonly extras: Array<[string, unknown]> | undefined;
}

const NO_EXTRAS: Array<[string, unknown]> = [];

/** Canonical field names for the caller's keys. No allocation beyond `canonical` for plain snake_case input. */
function normaliseKeys(input: Record<string, unknown>): Normalised {
  const canonical: Record<string, unknown> = {};
  let extras: Array<[string, unknown]> | undefined;
  let fromCamel: Set<string> | undefined;
  for (const key of Object.keys(input)) {
    const spelling = SPELLINGS.get(key);
    if (!spelling) {
      if (UNSAFE_KEYS.has(key)) continue;
      const value = input[key];
      extras ??= [];
      extras.push([key, value]);
      continue;
    }
    const value = input[key];
    if (value === undefined || value === null) continue;
    if (!spelling.camel && fromCamel?.has(spelling.field)) continue;
    canonical[spelling.field] = value;
    if (spelling.camel) {
      fromCamel ??= new Set();
      fromCamel.add(spelling.field);
    }
  }
  return { canonical, extras };
}

/** The key the caller used for a canonical field (camelCase wins, as in `normaliseKeys`), for error paths. */
function spellingIn(input: Record<string, unknown>, field: string): string | undefined {
  let found: string | undefined;
  for (const key of Object.keys(input)) {
    const spelling = SPELLINGS.get(key);
    if (spelling?.field !== field || input[key] === undefined || input[key] === null) continue;
    if (spelling.camel) return key;
    found = key;
  }
  return found;
}

/**
 * Events our parsers produce are instances of this module-private class, frozen: that is how
 * `ensureSecurityEvent` knows it can trust one without parsing it again, while a copy made by
 * spreading or through JSON is a plain object and is parsed again. The class costs nothing per
 * event (a non-enumerable mark defined on each event took ~170 ns, a third of a training copy) and,
 * unlike a WeakSet, costs the garbage collector nothing when many events are alive.
 */
class ParsedEvent {
  constructor(
    readonly timestamp: Date,
    readonly eventType: string,
    readonly success: boolean,
    readonly status: string,
    readonly resourceUsage: Record<string, number>,
    readonly metadata: Record<string, unknown>,
  ) {}
}

/** A parsed event's required fields; the caller adds optional ones in a fixed order, then freezes it. */
function newEvent(
  timestamp: Date,
  eventType: string,
  success: boolean,
  status: string,
  resourceUsage: Record<string, number>,
  metadata: Record<string, unknown>,
): SecurityEvent {
  return new ParsedEvent(timestamp, eventType, success, status, resourceUsage, metadata) as SecurityEvent;
}

function finish(data: EventFields, extras: Array<[string, unknown]>, limits: EventLimits): SecurityEvent {
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
  const event = newEvent(
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
  // Named copies, in a fixed order: events from one producer share one shape.
  if (data.eventId !== undefined) event.eventId = data.eventId;
  if (data.correlationId !== undefined) event.correlationId = data.correlationId;
  if (data.sessionId !== undefined) event.sessionId = data.sessionId;
  if (data.toolName !== undefined) event.toolName = data.toolName;
  if (data.action !== undefined) event.action = data.action;
  if (data.durationMs !== undefined) event.durationMs = data.durationMs;
  if (data.resourceCount !== undefined) event.resourceCount = data.resourceCount;
  if (data.destinationIp !== undefined) event.destinationIp = data.destinationIp;
  if (data.destinationDomain !== undefined) event.destinationDomain = data.destinationDomain;
  if (data.filePath !== undefined) event.filePath = data.filePath;
  if (data.fileHash !== undefined) event.fileHash = data.fileHash;
  if (event.destinationDomain !== undefined) {
    const domain = event.destinationDomain.toLowerCase();
    event.destinationDomain = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  }
  return Object.freeze(event);
}

/** Empty resource usage and metadata of training copies: one shared frozen object each. */
export const NO_RESOURCES: Record<string, number> = Object.freeze({}) as Record<string, number>;
export const NO_METADATA: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** What a training copy holds: the fields learning reads, and the id. */
export interface TrainingFields {
  timestamp: Date;
  eventType: string;
  success: boolean;
  status: string;
  /** Undefined or empty: none. */
  resourceUsage: Record<string, number> | undefined;
  eventId: string | undefined;
  toolName: string | undefined;
  durationMs: number | undefined;
  resourceCount: number | undefined;
  destinationIp: string | undefined;
  destinationDomain: string | undefined;
  filePath: string | undefined;
}

/**
 * A training copy from fields taken from parsed events (this package's own use: {@link trainingCopy},
 * `CompactEvents`), marked as parsed. Not exported from the package: callers outside it could mark
 * unchecked values as trusted.
 */
export function trustedTrainingCopy(f: TrainingFields): SecurityEvent {
  const usage = f.resourceUsage;
  const copy = newEvent(
    f.timestamp,
    f.eventType,
    f.success,
    f.status,
    usage === undefined || Object.keys(usage).length === 0 ? NO_RESOURCES : usage,
    NO_METADATA,
  );
  // In a fixed order, like `finish`: copies share one shape per set of fields.
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
export function trainingCopy(input: unknown): SecurityEvent {
  const e = ensureSecurityEvent(input);
  return trustedTrainingCopy({
    timestamp: e.timestamp,
    eventType: e.eventType,
    success: e.success,
    status: e.status,
    resourceUsage: e.resourceUsage,
    eventId: e.eventId,
    toolName: e.toolName,
    durationMs: e.durationMs,
    resourceCount: e.resourceCount,
    destinationIp: e.destinationIp,
    destinationDomain: e.destinationDomain,
    filePath: e.filePath,
  });
}

/** The result of {@link safeParseSecurityEvent}, shaped like zod's `safeParse`. */
export type SafeParseEventResult =
  | { readonly success: true; readonly data: SecurityEvent }
  | { readonly success: false; readonly error: ValidationError };

/** A parser for events with its own limits; see {@link parseSecurityEvent}. */
export interface SecurityEventParser {
  parse(input: unknown): SecurityEvent;
  safeParse(input: unknown): SafeParseEventResult;
  readonly limits: EventLimits;
}

/**
 * Creates an event parser with custom bounds (defaults: {@link DEFAULT_EVENT_LIMITS}).
 * @example createSecurityEventParser({ maxPathLength: 1024 }).parse(raw)
 */
export function createSecurityEventParser(overrides: Partial<EventLimits> = {}): SecurityEventParser {
  return buildParser(overrides, true);
}

/**
 * The parser, with or without the one-pass fast path (`false`: the zod schema only, which the tests
 * hold the fast path equal to). Not exported from the package.
 */
export function buildParser(overrides: Partial<EventLimits>, useFastPath: boolean): SecurityEventParser {
  const limits: EventLimits = Object.freeze({ ...DEFAULT_EVENT_LIMITS, ...overrides });
  const schema = buildSchema(limits);
  const ipSchema = z.union([z.ipv4(), z.ipv6()]);
  // Never throws: input that cannot even be read (a getter or proxy that throws, metadata past its
  // bounds) is a validation error like any other.
  const safeParse = (input: unknown): SafeParseEventResult => {
    try {
      return parseOnce(input);
    } catch (error) {
      const issue: ValidationIssue =
        error === METADATA_TOO_LARGE
          ? {
              path: 'metadata',
              code: 'too_big',
              message: `expected at most ${limits.maxMetadataValues} values in metadata and unknown fields (shared references count each time)`,
            }
          : {
              path: '',
              code: 'custom',
              message: `could not be read: ${messageOf(error)}`,
            };
      return { success: false, error: new ValidationError('event', [issue]) };
    }
  };
  const parseOnce = (input: unknown): SafeParseEventResult => {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      const issue: ValidationIssue = {
        path: '',
        code: 'invalid_type',
        message: `expected an object, received ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}`,
      };
      return { success: false, error: new ValidationError('event', [issue]) };
    }
    const record = input as Record<string, unknown>;
    const fast = useFastPath ? fastParse(record, limits, ipSchema) : undefined;
    if (fast) return { success: true, data: fast };
    const { canonical, extras = NO_EXTRAS } = normaliseKeys(record);
    const result = schema.safeParse(canonical, { reportInput: true });
    if (!result.success) {
      const issues = toValidationIssues(result.error.issues, {
        mapPath: ([head, ...rest]) =>
          typeof head === 'string' ? [spellingIn(record, head) ?? snakeCase(head), ...rest] : [],
      });
      return { success: false, error: new ValidationError('event', issues) };
    }
    const data = result.data as Record<string, unknown>;
    if (Object.keys(data.metadata ?? {}).length + extras.length > limits.maxMetadataKeys) {
      const issue: ValidationIssue = {
        path: spellingIn(record, 'metadata') ?? 'metadata',
        code: 'too_big',
        message: `expected at most ${limits.maxMetadataKeys} metadata keys (unknown fields included)`,
      };
      return { success: false, error: new ValidationError('event', [issue]) };
    }
    return { success: true, data: finish(data as unknown as EventFields, extras, limits) };
  };
  return {
    limits,
    safeParse,
    parse(input) {
      const result = safeParse(input);
      if (!result.success) throw result.error;
      return result.data;
    },
  };
}

const defaultParser = createSecurityEventParser();

/**
 * Returns `input` itself when it is an event this package parsed (they are frozen), otherwise
 * parses it. Lets hot paths accept either without validating twice.
 */
export function ensureSecurityEvent(input: unknown): SecurityEvent {
  if (isParsed(input)) return input as SecurityEvent;
  return defaultParser.parse(input);
}

/** Whether `input` is an event this package parsed (safe on a proxy whose traps throw). */
function isParsed(input: unknown): boolean {
  try {
    return input instanceof ParsedEvent;
  } catch {
    return false;
  }
}

/**
 * Parses a list of events (each as {@link ensureSecurityEvent} does), reading the list once: a hole
 * or a bad event is a {@link ValidationError} naming its index (`events[3].duration_ms: ...`).
 * @throws {ValidationError} `inputs` is not an array, cannot be read, or holds an invalid event.
 */
export function parseEvents(inputs: unknown, subject = 'events'): SecurityEvent[] {
  requireArray(inputs, subject);
  const items = readInput(subject, () => Array.from({ length: inputs.length }, (_, i) => inputs[i]));
  const events = new Array<SecurityEvent>(items.length);
  for (let i = 0; i < items.length; i++) {
    try {
      events[i] = ensureSecurityEvent(items[i]);
    } catch (error) {
      if (error instanceof ValidationError) throw new ValidationError(`${subject}[${i}]`, error.issues);
      throw error;
    }
  }
  return events;
}

/**
 * Validates and normalises one event (snake_case or camelCase, timestamp as Date, ISO string or
 * epoch ms). Throws a {@link ValidationError} naming the field and the problem.
 * @example parseSecurityEvent({ timestamp: '2026-03-01T09:30:00Z', event_type: 'tool_call', duration_ms: 200 })
 */
export function parseSecurityEvent(input: unknown): SecurityEvent {
  return defaultParser.parse(input);
}

/** Like {@link parseSecurityEvent}, but returns `{ success, data | error }` instead of throwing. */
export function safeParseSecurityEvent(input: unknown): SafeParseEventResult {
  return defaultParser.safeParse(input);
}

/** Zod schema of an event input producing a normalised {@link SecurityEvent}, for composing schemas. */
export const SecurityEventSchema: z.ZodType<SecurityEvent, unknown> = z.unknown().transform((value, ctx) => {
  const result = defaultParser.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    ctx.addIssue({
      code: 'custom',
      message: `${issue.path ? `${issue.path}: ` : ''}${issue.message}`,
      input: value,
    });
  }
  return z.NEVER;
});
