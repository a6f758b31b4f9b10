// The normalised event every package consumes, and the private class that marks events our parsers
// made, so that they are trusted without being parsed again.
import type { ParsedEventFields, PresentField } from './fields.js';

/**
 * A validated, normalised agent event (its fields are listed, with their documentation, in the field
 * table, `FIELDS`). Parsers return it frozen.
 */
export interface SecurityEvent extends ParsedEventFields {}

/**
 * Events our parsers produce are instances of this module-private class, frozen: that is how
 * `ensureSecurityEvent` knows it can trust one without parsing it again, while a copy made by
 * spreading or through JSON is a plain object and is parsed again. The class costs nothing per
 * event (a non-enumerable mark defined on each event took ~170 ns, a third of a training copy) and,
 * unlike a WeakSet, costs the garbage collector nothing when many events are alive. Its constructor
 * sets the fields every event holds (the compiler holds it to the table), in table order.
 */
export class ParsedEvent implements Pick<SecurityEvent, PresentField> {
  constructor(
    readonly timestamp: Date,
    readonly eventType: string,
    readonly success: boolean,
    readonly status: string,
    readonly resourceUsage: Record<string, number>,
    readonly metadata: Record<string, unknown>,
  ) {}
}

/** Whether `input` is an event this package parsed (safe on a proxy whose traps throw). */
export function isParsed(input: unknown): input is SecurityEvent {
  try {
    return input instanceof ParsedEvent;
  } catch {
    return false;
  }
}
