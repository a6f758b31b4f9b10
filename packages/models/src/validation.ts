// Turns zod issues into our ValidationIssue/ValidationError, with messages that name the field and
// say what was expected and what arrived ("expected a finite number >= 0, received -5").
import type { z } from 'zod';
import { HarombeError, ValidationError, type ValidationIssue } from './errors.js';

type ZodIssue = z.core.$ZodIssue;

/** Options for {@link parseOrThrow} and {@link toValidationIssues}. */
export interface IssueOptions {
  /** Rewrites the path of each issue, e.g. to the key spelling the caller used. */
  readonly mapPath?: (path: readonly PropertyKey[]) => readonly PropertyKey[];
}

/** Validates `input` with `schema`, returning the parsed value or throwing a {@link ValidationError}. */
export function parseOrThrow<T extends z.ZodType>(
  schema: T,
  input: unknown,
  subject: string,
  options: IssueOptions = {},
): z.output<T> {
  // The issues are built inside the guard too: zod describes the input lazily, reading it again.
  const outcome = readInput(subject, () => {
    const result = schema.safeParse(input, { reportInput: true });
    return result.success
      ? { data: result.data as z.output<T>, issues: undefined }
      : { data: undefined, issues: toValidationIssues(result.error.issues, options) };
  });
  if (outcome.issues === undefined) return outcome.data as z.output<T>;
  throw new ValidationError(subject, outcome.issues);
}

/** The message of anything thrown (one whose message cannot be read either says so). */
export function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'an unreadable error';
  }
}

/**
 * Runs `read` over a caller's input and turns whatever it throws that is not a harombe error (a
 * getter or proxy trap of the input throwing, an engine TypeError on a revoked proxy) into a
 * {@link ValidationError} naming `subject`: bad input is a typed error, never a crash from inside.
 */
export function readInput<T>(subject: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (isHarombeError(error)) throw error;
    throw new ValidationError(subject, [
      { path: '', code: 'custom', message: `could not be read: ${messageOf(error)}` },
    ]);
  }
}

/** `instanceof HarombeError`, safe on anything (a proxy's getPrototypeOf trap may throw). */
export function isHarombeError(error: unknown): boolean {
  try {
    return error instanceof HarombeError;
  } catch {
    return false;
  }
}

/** Converts zod issues (flattening union branches) into readable {@link ValidationIssue}s. */
export function toValidationIssues(
  issues: readonly ZodIssue[],
  options: IssueOptions = {},
): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of issues) {
    const path = options.mapPath ? options.mapPath(issue.path) : issue.path;
    out.push({ path: formatPath(path), code: issue.code, message: describeIssue(issue) });
  }
  return out;
}

/** `['resource_usage', 'cpu']` → `resource_usage.cpu`; numeric segments as `[3]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text ? `.${String(segment)}` : String(segment);
  }
  return text;
}

const MAX_SHOWN_STRING = 40;

/** A short, safe rendering of a received value for an error message. */
/** The time inside a real Date, or undefined for an object that only has Date's prototype. */
export function dateValue(value: Date): number | undefined {
  try {
    return Date.prototype.getTime.call(value);
  } catch {
    return undefined;
  }
}

export function describeValue(value: unknown): string {
  // Reading a hostile value (a proxy whose traps throw) must not throw while an error is described.
  try {
    return describeReadable(value);
  } catch {
    return 'an unreadable value';
  }
}

function describeReadable(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'string') {
    const shown = value.length > MAX_SHOWN_STRING ? `${value.slice(0, MAX_SHOWN_STRING)}…` : value;
    return JSON.stringify(shown) + (value.length > MAX_SHOWN_STRING ? ` (${value.length} characters)` : '');
  }
  if (value instanceof Date) {
    const time = dateValue(value);
    if (time === undefined) return 'an object posing as a Date';
    return Number.isNaN(time) ? 'an invalid Date' : new Date(time).toISOString();
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `a ${typeof value}`;
}

function expectedName(expected: string): string {
  switch (expected) {
    case 'number':
      return 'a finite number';
    case 'int':
      return 'an integer';
    case 'array':
    case 'object':
      return `an ${expected}`;
    default:
      return `a ${expected}`;
  }
}

function describeIssue(issue: ZodIssue): string {
  const received = 'input' in issue ? describeValue(issue.input) : undefined;
  const suffix = received === undefined ? '' : `, received ${received}`;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${expectedName(issue.expected)}${suffix}`;
    case 'too_small':
    case 'too_big': {
      const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      if (issue.origin === 'string') {
        if (issue.code === 'too_small' && Number(bound) === 1) return `expected a non-empty string${suffix}`;
        const limit = issue.code === 'too_small' ? 'at least' : 'at most';
        return `expected a string of ${limit} ${String(bound)} characters${suffix}`;
      }
      if (issue.origin === 'array' || issue.origin === 'set') {
        const limit = issue.code === 'too_small' ? 'at least' : 'at most';
        return `expected ${limit} ${String(bound)} items${suffix}`;
      }
      return `expected a finite number ${op} ${String(bound)}${suffix}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${suffix}`;
    case 'custom':
      return issue.message;
    default:
      return issue.message + suffix;
  }
}

/**
 * Checks that a list of events is an array before anything reads it, so `train(id, null)` is a
 * {@link ValidationError} naming `subject`, not a `TypeError` from deep inside.
 * @throws {ValidationError} `inputs` is not an array.
 */
export function requireArray(inputs: unknown, subject: string): asserts inputs is readonly unknown[] {
  if (readInput(subject, () => Array.isArray(inputs))) return;
  throw new ValidationError(subject, [
    {
      path: '',
      code: 'invalid_type',
      message: `expected an array of events, received ${describeValue(inputs)}`,
    },
  ]);
}

/**
 * A boolean option of an options object that may be absent (`undefined` or `null`: the default
 * applies). Read once, safely: a hostile object is a {@link ValidationError} naming `subject.key`.
 * @throws {ValidationError} the option is not a boolean, or the object cannot be read.
 */
export function optionalFlag(options: unknown, key: string, subject: string): boolean | undefined {
  if (options === undefined || options === null) return undefined;
  let value: unknown;
  try {
    value = (options as Record<string, unknown>)[key];
  } catch (error) {
    throw new ValidationError(subject, [
      { path: key, code: 'custom', message: `could not be read: ${messageOf(error)}` },
    ]);
  }
  if (value === undefined || typeof value === 'boolean') return value;
  throw new ValidationError(subject, [
    { path: key, code: 'invalid_type', message: `expected a boolean, received ${describeValue(value)}` },
  ]);
}
