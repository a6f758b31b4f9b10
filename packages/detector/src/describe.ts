// Turning feature attributions into sentences: each factor with the event's value, in the units
// the event used, next to the agent's typical range learned in training.
import {
  destinationOf,
  directoryOf,
  type FeatureExtractor,
  type FeatureInfo,
  NO_TOOL,
  WINDOW_FEATURES,
} from '@harombe/features';
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

/** Window features are explained one by one (each is its own measure), not grouped by source. */
const WINDOW_NAMES: ReadonlySet<string> = new Set(WINDOW_FEATURES.map((f) => f.name));
/** Factors with at least this share are named in explanations. */
const FACTOR_SHARE = 0.1;
const MAX_FACTORS = 3;

/**
 * Words for one agent model's attributions. What depends only on the fitted extractor (which
 * features form one factor, typical ranges, active hours and days) is worked out once, on the
 * model's first explanation: explaining runs for a few percent of events, so its data is rarely
 * in cache, and less of it to touch is most of its cost.
 */
export class FactorDescriber {
  private readonly infos: readonly FeatureInfo[];
  /** Factor (group) of each feature: hour_sin and hour_cos are one, the weekday features one, ... */
  private readonly groupOf: Int32Array;
  private readonly groupShare: Float64Array;
  private readonly groupBest: Int32Array;
  /** Groups with a share, in the order their first feature with a share appears. */
  private readonly seen: Int32Array;
  private readonly typicalText: (string | undefined)[];
  private hoursText: string | undefined;
  private daysText: string | undefined;

  constructor(private readonly extractor: FeatureExtractor) {
    this.infos = extractor.features;
    const keys = new Map<string, number>();
    this.groupOf = new Int32Array(this.infos.length);
    this.infos.forEach((info, index) => {
      const key =
        info.source === 'weekend' ? 'weekday' : WINDOW_NAMES.has(info.name) ? info.name : info.source;
      let group = keys.get(key);
      if (group === undefined) {
        group = keys.size;
        keys.set(key, group);
      }
      this.groupOf[index] = group;
    });
    this.groupShare = new Float64Array(keys.size);
    this.groupBest = new Int32Array(keys.size);
    this.seen = new Int32Array(keys.size);
    this.typicalText = new Array<string | undefined>(this.infos.length);
  }

  /**
   * The top factors (at most three, each with at least 10% of the attribution once features of one
   * factor are added up), each named with the event's value against the agent's typical range.
   */
  explain(shares: Float64Array, event: SecurityEvent, vector: Float64Array): string {
    const { groupOf, groupShare, groupBest, seen } = this;
    groupShare.fill(0);
    let groups = 0;
    for (let i = 0; i < shares.length; i++) {
      const share = shares[i]!;
      if (share === 0) continue;
      const g = groupOf[i]!;
      if (groupShare[g] === 0) {
        seen[groups++] = g;
        groupBest[g] = i;
      } else if (share > shares[groupBest[g]!]!) groupBest[g] = i;
      groupShare[g]! += share;
    }
    // The largest shares first; among equal shares, the factor seen first.
    const top: number[] = [];
    for (let k = 0; k < groups; k++) {
      const g = seen[k]!;
      if (groupShare[g]! < FACTOR_SHARE) continue;
      let at = top.length;
      while (at > 0 && groupShare[top[at - 1]!]! < groupShare[g]!) at--;
      if (at < MAX_FACTORS) top.splice(at, 0, g);
      if (top.length > MAX_FACTORS) top.pop();
    }
    if (top.length === 0) return 'unusual for this agent, with no single dominant factor';
    let text = '';
    for (const g of top) {
      const index = groupBest[g]!;
      text += `${text ? '; ' : ''}${this.describe(this.infos[index]!.name, event, vector, index)}`;
    }
    return text;
  }

  /** "typical 140-460" from the feature's training range, in the units `transform` gives. */
  private typical(index: number, transform: (x: number) => number): string {
    let text = this.typicalText[index];
    if (text === undefined) {
      const range = this.extractor.learned.ranges[index];
      text = range
        ? `typical ${round(transform(range.p05))}-${round(transform(range.p95))}`
        : 'no typical range';
      this.typicalText[index] = text;
    }
    return text;
  }

  /** A phrase for one feature of one event. */
  private describe(name: string, event: SecurityEvent, vector: Float64Array, index: number): string {
    const learned = this.extractor.learned;
    const ms = event.timestamp.getTime();
    switch (name) {
      case 'duration_log':
        return event.durationMs === undefined
          ? 'no duration'
          : `duration_ms ${round(event.durationMs)} (${this.typical(index, Math.expm1)})`;
      case 'resource_count':
        return event.resourceCount === undefined
          ? 'no resource_count'
          : `resource_count ${event.resourceCount} (${this.typical(index, identity)})`;
      case 'hour_sin':
      case 'hour_cos': {
        const hour = this.extractor.localTime(ms).hour;
        this.hoursText ??= activeHours(learned.hourCounts);
        return `at ${hh(hour)} local time, an hour with ${percent(shareOf(learned.hourCounts, Math.floor(hour)))} of this agent's activity (usually ${this.hoursText})`;
      }
      case 'weekday_sin':
      case 'weekday_cos':
      case 'weekend': {
        const weekday = this.extractor.localTime(ms).weekday;
        this.daysText ??= activeDays(learned.weekdayCounts);
        return `on ${WEEKDAYS[weekday]} (${percent(shareOf(learned.weekdayCounts, weekday))} of activity; usually ${this.daysText})`;
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
        return `${name} ${round(vector[index]!)} (${this.typical(index, identity)})`;
      case 'window_avg_duration_log':
      case 'window_max_duration_log':
        return `${name.replace('_log', '_ms')} ${round(Math.expm1(vector[index]!))} (${this.typical(index, Math.expm1)})`;
      default:
        if (name.startsWith('resource_usage.')) {
          const key = name.slice('resource_usage.'.length);
          const value = event.resourceUsage[key];
          return value === undefined
            ? `no ${name}`
            : `${name} ${round(value)} (${this.typical(index, Math.expm1)})`;
        }
        return `${name} ${round(vector[index]!)} (${this.typical(index, identity)})`;
    }
  }
}

const identity = (x: number): number => x;

/** The share of `counts` at `index` (0 without counts). */
function shareOf(counts: Float64Array, index: number): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  return total > 0 ? counts[index]! / total : 0;
}
