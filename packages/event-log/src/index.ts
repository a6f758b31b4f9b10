// @harombe/event-log: agent events from JSON Lines, one line at a time, with line numbers, in file
// order or in event time.
export { EventLogError, type EventLogErrorCode } from './errors.js';
export {
  groupByAgent,
  type LoggedEvent,
  loggedEvent,
  type ReadEventsOptions,
  readEvents,
  streamEvents,
} from './events.js';
export { type JsonlOptions, readJsonl } from './jsonl.js';
export {
  type ReorderOptions,
  readInTimeOrder,
  reorderByTime,
  type TimeOrderOptions,
} from './order.js';
