// Parsing events: the fast path for the common case, the zod schema for the rest (and for every
// explanation of what is wrong), with bounds of the caller's choice; and the package's default parser.
import { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../errors.js';
import { messageOf, readInput, requireArray, toValidationIssues } from '../validation.js';
import { fastParse } from './fast-parse.js';
import { type CanonicalFields, snakeCase } from './fields.js';
import { DEFAULT_EVENT_LIMITS, type EventLimits } from './limits.js';
import { finish, METADATA_TOO_LARGE } from './normalise.js';
import { isParsed, type SecurityEvent } from './parsed-event.js';
import { buildSchema } from './schema.js';
import { NO_EXTRAS, normaliseKeys, spellingIn } from './spellings.js';

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
    return { success: true, data: finish(data as unknown as CanonicalFields, extras, limits) };
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
  if (isParsed(input)) return input;
  return defaultParser.parse(input);
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
