// Turning feature attributions into sentences: each factor with the event's value, in the units
// the event used, next to the agent's typical range learned in training.
import { destinationOf, directoryOf, type FeatureExtractor, NO_TOOL } from '@harombe/features';
import type { SecurityEvent } from '@harombe/models';

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

const round = (x: number): string => {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs >= 1000) return String(Math.round(x));
  if (abs >= 10) return x.toFixed(0);
  if (abs >= 1) return x.toFixed(1).replace(/\.0$/, '');
  return x.toPrecision(2);
};

const percent = (share: number): string =>
  share === 0 ? '0%' : share < 0.01 ? '<1%' : `${Math.round(share * 100)}%`;

const hh = (hour: number) =>
  `${String(Math.floor(hour)).padStart(2, '0')}:${String(Math.floor((hour % 1) * 60)).padStart(2, '0')}`;

/** The smallest set of hours holding 90% of training activity, as "09-17" style text. */
function activeHours(counts: Float64Array): string {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return 'no history';
  const active = [...counts.keys()].filter((h) => counts[h]! / total >= 0.01);
  if (active.length === 0) return 'no history';
  return `${String(active[0]).padStart(2, '0')}-${String(active[active.length - 1]! + 1).padStart(2, '0')}`;
}

function activeDays(counts: Float64Array): string {
  const total = counts.reduce((a, b) => a + b, 0);
  const days = [...counts.keys()].filter((d) => total > 0 && counts[d]! / total >= 0.01);
  if (days.length === 7) return 'every day';
  return days.map((d) => WEEKDAYS[d]!.slice(0, 3)).join(', ');
}

/** A phrase for one feature of one event. */
export function describeFactor(
  name: string,
  event: SecurityEvent,
  vector: Float64Array,
  index: number,
  extractor: FeatureExtractor,
): string {
  const learned = extractor.learned;
  const range = learned.ranges[index];
  const typical = (transform: (x: number) => number) =>
    range ? `typical ${round(transform(range.p05))}-${round(transform(range.p95))}` : 'no typical range';
  const ms = event.timestamp.getTime();
  switch (name) {
    case 'duration_log':
      return event.durationMs === undefined
        ? 'no duration'
        : `duration_ms ${round(event.durationMs)} (${typical(Math.expm1)})`;
    case 'resource_count':
      return event.resourceCount === undefined
        ? 'no resource_count'
        : `resource_count ${event.resourceCount} (${typical((x) => x)})`;
    case 'hour_sin':
    case 'hour_cos': {
      const { hour } = extractor.localTime(ms);
      const total = learned.hourCounts.reduce((a, b) => a + b, 0);
      const share = total > 0 ? learned.hourCounts[Math.floor(hour)]! / total : 0;
      return `at ${hh(hour)} local time, an hour with ${percent(share)} of this agent's activity (usually ${activeHours(learned.hourCounts)})`;
    }
    case 'weekday_sin':
    case 'weekday_cos':
    case 'weekend': {
      const { weekday } = extractor.localTime(ms);
      const total = learned.weekdayCounts.reduce((a, b) => a + b, 0);
      const share = total > 0 ? learned.weekdayCounts[weekday]! / total : 0;
      return `on ${WEEKDAYS[weekday]} (${percent(share)} of activity; usually ${activeDays(learned.weekdayCounts)})`;
    }
    case 'event_type_rarity': {
      const share = learned.eventTypes.share(event.eventType);
      return share === 0
        ? `event type ${event.eventType} never seen for this agent`
        : `event type ${event.eventType} in ${percent(share)} of this agent's events`;
    }
    case 'tool_rarity': {
      const tool = event.toolName ?? NO_TOOL;
      const share = learned.tools.share(tool);
      if (event.toolName === undefined) return `no tool named (${percent(share)} of events name none)`;
      return share === 0
        ? `tool ${tool} never used by this agent`
        : `tool ${tool} in ${percent(share)} of this agent's events`;
    }
    case 'failure':
      return event.success ? 'succeeded' : `failed (status ${event.status})`;
    case 'new_destination':
      return vector[index] === 1
        ? `destination ${destinationOf(event)} never contacted by this agent`
        : `destination ${destinationOf(event) ?? 'none'} known`;
    case 'new_file_location':
      return vector[index] === 1 && event.filePath !== undefined
        ? `file location ${directoryOf(event.filePath)} never accessed by this agent`
        : 'file location known';
    case 'calls_per_hour':
    case 'tool_calls_per_hour':
    case 'errors_per_hour':
    case 'window_unique_tools':
    case 'window_unique_destinations':
    case 'window_file_operations':
      return `${name} ${round(vector[index]!)} (${typical((x) => x)})`;
    case 'window_avg_duration_log':
    case 'window_max_duration_log':
      return `${name.replace('_log', '_ms')} ${round(Math.expm1(vector[index]!))} (${typical(Math.expm1)})`;
    default:
      if (name.startsWith('resource_usage.')) {
        const key = name.slice('resource_usage.'.length);
        const value = event.resourceUsage[key];
        return value === undefined ? `no ${name}` : `${name} ${round(value)} (${typical(Math.expm1)})`;
      }
      return `${name} ${round(vector[index]!)} (${typical((x) => x)})`;
  }
}
