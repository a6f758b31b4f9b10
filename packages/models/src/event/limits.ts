// The bounds an event parser applies: what one event may cost in length, keys and nesting.

/** Length and size bounds applied while parsing events. */
export interface EventLimits {
  /** Ids: event, correlation, session, agent, actor. Default 256. */
  readonly maxIdLength: number;
  /** Names: event type, tool, action, status. Default 256. */
  readonly maxNameLength: number;
  /** File paths and other long text. Default 4096. */
  readonly maxPathLength: number;
  /** Keys in `resource_usage`. Default 64. */
  readonly maxResourceKeys: number;
  /** Keys in `metadata` (after unknown fields are folded in). Default 256. */
  readonly maxMetadataKeys: number;
  /** Nesting depth of `metadata` values. Default 8. */
  readonly maxMetadataDepth: number;
  /**
   * Values (objects, arrays, items) copied out of `metadata` at most, a value met through several
   * shared references counting each time. Default 10,000: bounds the time and memory one event costs.
   */
  readonly maxMetadataValues: number;
}

export const DEFAULT_EVENT_LIMITS: EventLimits = Object.freeze({
  maxIdLength: 256,
  maxNameLength: 256,
  maxPathLength: 4096,
  maxResourceKeys: 64,
  maxMetadataKeys: 256,
  maxMetadataDepth: 8,
  maxMetadataValues: 10_000,
});
