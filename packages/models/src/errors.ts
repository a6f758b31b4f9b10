// Typed errors shared by every harombe package: callers branch on `code` (or `instanceof`), never on
// message text. Messages are written for the person reading a log line.

/**
 * Base class of every error thrown by the harombe packages. Each subclass fixes `Code` to the literal
 * union of its codes, so callers can `switch` on `error.code`.
 */
export class HarombeError<Code extends string = string> extends Error {
  /** Stable machine-readable code, e.g. `VALIDATION_FAILED`. */
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem found while validating input: where, what kind, and a readable message. */
export interface ValidationIssue {
  /** Dotted path to the field as the caller spelled it, e.g. `duration_ms` or `resource_usage.cpu`. */
  readonly path: string;
  /** The zod issue code (`invalid_type`, `too_small`, ...) or one of ours (`invalid_date`). */
  readonly code: string;
  /** What is wrong, e.g. `expected a finite number >= 0, received -5`. */
  readonly message: string;
}

/**
 * Input did not match its schema. `issues` lists every problem; `message` names the first few as
 * `subject.path: problem`.
 */
export class ValidationError extends HarombeError<'VALIDATION_FAILED'> {
  readonly issues: readonly ValidationIssue[];
  /** What was being validated, e.g. `event` or `IsolationForest options`. */
  readonly subject: string;

  constructor(subject: string, issues: readonly ValidationIssue[]) {
    super('VALIDATION_FAILED', formatIssues(subject, issues));
    this.subject = subject;
    this.issues = issues;
  }
}

const MAX_ISSUES_IN_MESSAGE = 5;

function formatIssues(subject: string, issues: readonly ValidationIssue[]): string {
  if (issues.length === 0) return `${subject}: invalid`;
  const shown = issues
    .slice(0, MAX_ISSUES_IN_MESSAGE)
    .map((issue) => `${issue.path ? `${subject}.${issue.path}` : subject}: ${issue.message}`);
  const more = issues.length - shown.length;
  return more > 0 ? `${shown.join('; ')}; and ${more} more` : shown.join('; ');
}

/** Why a stored model was refused: not ours, another format version, malformed, cut short, or edited. */
export type ModelProblem = 'foreign' | 'version' | 'schema' | 'truncated' | 'tampered';

/** Which kind of stored model. */
export type ModelArtifact = 'forest' | 'features' | 'baseline' | 'detector' | 'threat-model';

/**
 * A stored model (what `fromJSON`, `importModel`, `importAgent` or `load` read) that cannot be used:
 * which `artifact` it is, what is wrong with it (`problem`), and, in the message, the field. One class
 * for every kind, so a caller handles a bad model once.
 */
export class ModelArtifactError extends HarombeError<'MODEL_INVALID'> {
  constructor(
    readonly artifact: ModelArtifact,
    readonly problem: ModelProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('MODEL_INVALID', message, options);
  }
}
