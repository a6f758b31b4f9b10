// @harombe/event-log: agent events from JSON Lines, one line at a time, with line numbers.
export { EventLogError, type EventLogErrorCode } from './errors.js';
export { groupByAgent, type LoggedEvent, type ReadEventsOptions, readEvents } from './events.js';
export { type JsonlOptions, readJsonl } from './jsonl.js';
