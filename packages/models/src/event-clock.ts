// An agent's clock in event time, guarded against events stamped far ahead of it. Windows and
// baselines expire what is older than "now", and "now" is the newest event seen: one event from a
// producer with a bad clock (or forged, say year 9999) would expire everything and make every later
// event "too old" to learn. So an event far ahead of the clock does not move it until other events
// confirm the new time.
import { z } from 'zod';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** How an event's time stands to its agent's clock (the newest event time accepted). */
export type EventTime = 'current' | 'late' | 'ahead';

export const EventClockOptionsSchema = z
  .object({
    maxLeadMs: z
      .number()
      .int()
      .min(60_000)
      .max(366 * DAY_MS)
      .default(HOUR_MS),
    corroboration: z.number().int().min(1).max(16).default(3),
  })
  .strict();

/** The rule for events ahead of an agent's clock; all optional. */
export interface EventClockOptions {
  /**
   * An event more than this far past the agent's newest event time is *ahead*: it is scored, but it
   * neither moves the agent's clock nor is learned until confirmed. Default 1 hour (at most an hour
   * of distortion from a single bad time).
   */
  maxLeadMs?: number;
  /**
   * How many ahead events within a day of each other (counting the latest) confirm a new time: then
   * the clock moves and the held events are placed, oldest first. Default 3, so one or two stray
   * times never move it; an agent back from a quiet weekend is confirmed by its third event.
   */
  corroboration?: number;
}

export type ResolvedEventClockOptions = z.output<typeof EventClockOptionsSchema>;

/** Ahead events held at most per agent (the oldest held is dropped past this). */
const MAX_HELD = 16;
/** Held ahead events confirm each other when they lie within this much event time. */
const AGREEMENT_MS = DAY_MS;

/**
 * The guard of one agent's clock. It does not keep the clock itself (its owner does, as `newestMs`):
 * it decides, for an event, whether it may be placed now, and holds the ahead events that may later
 * be confirmed, each with an item of the owner's (what to place then); owners save them with their
 * state ({@link heldItems}, {@link restore}).
 *
 * @example
 * const guard = new EventClock<string>();
 * guard.admit(Number.NEGATIVE_INFINITY, 1_000, 'a'); // null: place it
 * guard.admit(1_000, 9e12, 'b');                      // undefined: held (far ahead of 1_000)
 */
export class EventClock<T> {
  private held: { ms: number; item: T }[] = [];

  constructor(private readonly options: ResolvedEventClockOptions = EventClockOptionsSchema.parse({})) {}

  /** How `ms` stands to a clock at `newestMs` (no clock yet: `current`). */
  classify(newestMs: number, ms: number): EventTime {
    if (this.isAhead(newestMs, ms)) return 'ahead';
    return ms < newestMs ? 'late' : 'current';
  }

  /** Whether `ms` is ahead of a clock at `newestMs` (see {@link classify}). */
  isAhead(newestMs: number, ms: number): boolean {
    return ms > newestMs + this.options.maxLeadMs && newestMs !== Number.NEGATIVE_INFINITY;
  }

  /**
   * Decides for an event at `ms`, the clock being at `newestMs`: `null` when it is placed as usual
   * (not ahead: nothing allocated); `undefined` when it is ahead and held (with `item`); or, when it
   * confirms held events, the items to place now in time order, its own among them.
   */
  admit(newestMs: number, ms: number, item: T): readonly T[] | null | undefined {
    if (!this.isAhead(newestMs, ms)) return null;
    let agreeing = 1;
    for (const held of this.held) if (Math.abs(held.ms - ms) <= AGREEMENT_MS) agreeing++;
    if (agreeing < this.options.corroboration) {
      this.held.push({ ms, item });
      if (this.held.length > MAX_HELD) this.held.shift();
      return undefined;
    }
    const confirmed = this.held.filter((held) => Math.abs(held.ms - ms) <= AGREEMENT_MS);
    confirmed.push({ ms, item });
    // Held times far from the confirmed one (stray ones) are dropped with the rest.
    this.held = [];
    return confirmed.sort((a, b) => a.ms - b.ms).map((held) => held.item);
  }

  /** The items held, oldest held first (to count them where the window at their time is asked for). */
  heldItems(): T[] {
    return this.held.map((held) => held.item);
  }

  /** Holds events again (restoring a saved state), oldest first; at most the bound are kept. */
  restore(held: readonly { readonly ms: number; readonly item: T }[]): void {
    this.held = held.slice(-MAX_HELD).map(({ ms, item }) => ({ ms, item }));
  }

  /** How many events are held. */
  get heldCount(): number {
    return this.held.length;
  }
}
