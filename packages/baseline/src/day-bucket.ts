// One local day of an agent's history, in aggregates: what the window's running totals sum and what
// a profile is built from.
import { Distribution } from './distribution.js';

/** One local day of an agent's activity: hour counts, vocabularies and distributions. */
export class DayBucket {
  /** Events per local hour (what happened). */
  readonly activity = new Float64Array(24);
  /** Weight per local hour for the temporal profile (activity plus feedback weight). */
  readonly slots = new Float64Array(24);
  readonly eventTypes = new Map<string, number>();
  readonly tools = new Map<string, number>();
  readonly resourceCount = new Distribution();
  readonly duration = new Distribution();
  /** Per tool: durations and resource counts differ by tool (a test run vs a file read). */
  readonly toolDurations = new Map<string, Distribution>();
  readonly toolResources = new Map<string, Distribution>();
  /** Calls in the trailing hour, and in the trailing 5 minutes, as each event saw them. */
  readonly trailingCalls = new Distribution();
  readonly trailingBurst = new Distribution();
  events = 0;
  failures = 0;
  firstMs = Number.POSITIVE_INFINITY;

  constructor(
    readonly day: number,
    readonly weekday: number,
  ) {}
}
