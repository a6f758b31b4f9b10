// Reading versioned JSON artifacts: every package's `fromJSON` checks the same things in the same
// order, so that "foreign", "version" and "schema" problems read alike everywhere.
import type { z } from 'zod';
import { describeValue } from './validation.js';

/** What went wrong reading an artifact. */
export type TaggedProblem = 'foreign' | 'version' | 'schema';

export interface TaggedFormat<S extends z.ZodType> {
  readonly format: string;
  readonly version: number;
  readonly schema: S;
  /** Builds the package's own typed error. */
  readonly fail: (problem: TaggedProblem, message: string) => Error;
}

/**
 * Parses JSON text (or takes an object), then checks the `format` tag, the `version` and the zod
 * schema, throwing `fail(problem, message)` at the first that does not hold.
 */
export function readTagged<S extends z.ZodType>(input: unknown, spec: TaggedFormat<S>): z.output<S> {
  let json = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch {
      throw spec.fail('schema', 'the text is not valid JSON');
    }
  }
  if (json === null || typeof json !== 'object' || (json as { format?: unknown }).format !== spec.format) {
    throw spec.fail('foreign', `expected an object with format "${spec.format}"`);
  }
  const version = (json as { version?: unknown }).version;
  if (version !== spec.version) {
    throw spec.fail(
      'version',
      // Described shallowly: `String` of a forged tag nested 100,000 arrays deep overflows the stack.
      `format version ${describeValue(version)} is not supported (this release reads ${spec.version})`,
    );
  }
  const parsed = spec.schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw spec.fail('schema', `field "${issue.path.join('.')}": ${issue.message}`);
  }
  return parsed.data;
}
