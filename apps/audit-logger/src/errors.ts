// The error the logger throws for input it cannot store as given. Callers branch on `code`; the
// message names the field, so a log line says what to fix.
import { HarombeError } from '@harombe/security-ml';

/**
 * `AUDIT_NOT_JSON`: a value JSON cannot hold (a `BigInt`). `AUDIT_CYCLIC`: a value that contains
 * itself. `AUDIT_DUPLICATE_EVENT_ID`: an event id already in the log.
 */
export type AuditInputErrorCode = 'AUDIT_NOT_JSON' | 'AUDIT_CYCLIC' | 'AUDIT_DUPLICATE_EVENT_ID';

/**
 * An event or its tool call could not be stored; nothing of it was. The message is
 * `path: problem`, e.g. `toolCall.arguments.limit: BigInt is not JSON`.
 */
export class AuditInputError extends HarombeError {
  declare readonly code: AuditInputErrorCode;
  /** The field as the caller passed it: `event.event_id`, `event.metadata.x`, `toolCall.arguments.items[2]`. */
  readonly path: string;

  constructor(code: AuditInputErrorCode, path: string, problem: string, options?: { cause?: unknown }) {
    super(code, `${path}: ${problem}`, options);
    this.path = path;
  }
}
