import { HarombeError } from '@harombe/models';

/** Why an event log could not be read: the file itself, or one line of it (in strict mode). */
export type EventLogErrorCode = 'EVENT_LOG_UNREADABLE' | 'EVENT_LOG_BAD_LINE';

/** An event log that cannot be read, naming the file (and the line, for a bad line). */
export class EventLogError extends HarombeError<EventLogErrorCode> {
  constructor(
    code: EventLogErrorCode,
    message: string,
    /** The file (`-` for standard input). */
    readonly path: string,
    /** The line, for a bad line. */
    readonly line?: number,
  ) {
    super(code, message);
  }
}
