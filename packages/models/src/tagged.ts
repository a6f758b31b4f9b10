// Reading versioned JSON artifacts: every package's `fromJSON` checks the same things in the same
// order, so that "foreign", "version" and "schema" problems read alike everywhere.
import type { z } from 'zod';
import { describeValue, isHarombeError, messageOf } from './validation.js';

/** What went wrong reading an artifact (`truncated`: only where {@link TaggedFormat.invalidJson} says). */
export type TaggedProblem = 'foreign' | 'version' | 'schema' | 'truncated';

export interface TaggedFormat<S extends z.ZodType> {
  readonly format: string;
  readonly version: number;
  readonly schema: S;
  /** Builds the package's own typed error. */
  readonly fail: (problem: TaggedProblem, message: string) => Error;
  /** What the artifact is, for the message when the tag is someone else's: `a forest model`. */
  readonly describedAs?: string;
  /** The package to upgrade, named when the input's version is newer than this release reads. */
  readonly upgrade?: string;
  /**
   * The problem reported for text that is not JSON: `schema` (the default), or `truncated` for an
   * artifact written in one piece, whose text only breaks when it is cut short (or is not one at all).
   */
  readonly invalidJson?: 'schema' | 'truncated';
}

/**
 * Parses JSON text (or takes an object), then checks the `format` tag, the `version` and the zod
 * schema, throwing `fail(problem, message)` at the first that does not hold.
 */
export function readTagged<S extends z.ZodType>(input: unknown, spec: TaggedFormat<S>): z.output<S> {
  try {
    return readOnce(input, spec);
  } catch (error) {
    // A hostile object (a getter or proxy trap that throws) is a malformed artifact like any other.
    if (isHarombeError(error)) throw error;
    throw spec.fail('schema', `could not be read: ${messageOf(error)}`);
  }
}

function readOnce<S extends z.ZodType>(input: unknown, spec: TaggedFormat<S>): z.output<S> {
  let json = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch {
      throw spec.invalidJson === 'truncated'
        ? spec.fail(
            'truncated',
            `the text is not valid JSON (truncated, or not ${spec.describedAs ?? `a "${spec.format}" artifact`}?)`,
          )
        : spec.fail('schema', 'the text is not valid JSON');
    }
  }
  if (json === null || typeof json !== 'object' || (json as { format?: unknown }).format !== spec.format) {
    const not = spec.describedAs === undefined ? '' : `; this is not ${spec.describedAs}`;
    throw spec.fail('foreign', `expected an object with format "${spec.format}"${not}`);
  }
  const version = (json as { version?: unknown }).version;
  if (version !== spec.version) {
    const newer = typeof version === 'number' && version > spec.version && spec.upgrade !== undefined;
    throw spec.fail(
      'version',
      // Described shallowly: `String` of a forged tag nested 100,000 arrays deep overflows the stack.
      `format version ${describeValue(version)} is not supported (this release reads ${spec.version}${newer ? `; upgrade ${spec.upgrade}` : ''})`,
    );
  }
  checkSizes(json, '', 0, spec);
  const parsed = spec.schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw spec.fail('schema', `field "${issue.path.join('.')}": ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Lists in an artifact hold at most this many items (a vocabulary, a window, a baseline's agents):
 * checked before the schema walks them, since it takes time per item even for a sparse array of
 * holes, and a forged length would cost seconds.
 */
export const MAX_ARTIFACT_ITEMS = 100_000;

/**
 * Refuses lists longer than {@link MAX_ARTIFACT_ITEMS}, and lists with holes, anywhere in the first
 * 8 levels of an artifact. Each object is looked at once (`seen`), so shared references and cycles
 * cost nothing.
 */
function checkSizes<S extends z.ZodType>(
  value: unknown,
  path: string,
  depth: number,
  spec: TaggedFormat<S>,
  seen: Set<object> = new Set(),
): void {
  if (value === null || typeof value !== 'object' || depth > 8 || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    if (value.length > MAX_ARTIFACT_ITEMS) {
      throw spec.fail('schema', `field "${path}": ${value.length} items, at most ${MAX_ARTIFACT_ITEMS}`);
    }
    for (let i = 0; i < value.length; i++) {
      const at = path ? `${path}.${i}` : `${i}`;
      // JSON has no holes: a list with one was forged, and the schema would report every hole.
      if (!(i in value)) throw spec.fail('schema', `field "${at}": no value (a hole in the list)`);
      checkSizes(value[i], at, depth + 1, spec, seen);
    }
    return;
  }
  for (const key of Object.keys(value)) {
    checkSizes((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key, depth + 1, spec, seen);
  }
}
