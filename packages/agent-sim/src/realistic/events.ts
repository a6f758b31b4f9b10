// One realistic event from a persona's tool: its destination (weighted, or long-tail browsing), file
// path (templated), verb, byte volumes, rows, heavy-tailed duration and outcome.
import { LocalClock } from '@harombe/models';
import type { SimRandom } from '../random.js';
import type { SimEvent } from '../types.js';
import type { LogNormal, RealisticPersona, RealisticTool } from './personas.js';
import { type DomainNamer, expandPath, type PathContext, typicalFileBytes } from './vocabulary.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
/** Calls end (or time out) within two hours, transfers included. */
const MAX_DURATION_MS = 2 * HOUR;

/** Local wall-clock epoch ms (a day's "local midnight" is `start + day * DAY`) → UTC epoch ms. */
export function localToUtc(clock: LocalClock, localMs: number): number {
  const first = localMs - clock.offsetAt(localMs);
  return localMs - clock.offsetAt(first);
}

/** `YYYY-MM-DD` of a local-midnight epoch value. */
export function isoDate(localMidnight: number): string {
  return new Date(localMidnight).toISOString().slice(0, 10);
}

/** Draws with given weights by binary search over cumulative weights (for large lists). */
export class WeightedSampler<T> {
  private readonly cumulative: Float64Array;

  constructor(
    readonly items: readonly T[],
    weights: readonly number[],
  ) {
    this.cumulative = new Float64Array(items.length);
    let sum = 0;
    for (let i = 0; i < items.length; i++) {
      sum += weights[i]!;
      this.cumulative[i] = sum;
    }
  }

  draw(random: SimRandom): T {
    const x = random.next() * this.cumulative[this.cumulative.length - 1]!;
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.cumulative[mid]! > x) high = mid;
      else low = mid + 1;
    }
    return this.items[low]!;
  }
}

/** The fleet's web: a long-tail pool of domains with Zipf popularity, and a namer for new ones. */
export interface Web {
  readonly pool: WeightedSampler<string>;
  readonly namer: DomainNamer;
}

/** Where and when an event happens. */
export interface Moment extends PathContext {
  /** UTC epoch ms. */
  readonly at: number;
  readonly sessionId: string;
}

/** Fields an attack (or a batch step) sets instead of the tool's usual draw. */
export interface EventOverrides {
  readonly action?: string;
  readonly destination?: string;
  readonly path?: string;
  readonly pathTemplates?: readonly string[];
  readonly bytesSent?: number;
  readonly bytesReceived?: number;
  readonly rows?: number;
  readonly success?: boolean;
  /** Multiplies the tool's error rate (an upstream outage). */
  readonly errorRate?: number;
  readonly durationFactor?: number;
}

const ld = (random: SimRandom, [median, sigma]: LogNormal): number => random.logNormal(median, sigma);
const TWO_WORD = new Set(['git', 'kubectl', 'npm', 'docker', 'systemctl']);

/** The verb of a command line: `git status`, `kubectl get`, `ls`. */
export function commandVerb(command: string): string {
  const words = command.split(' ');
  return TWO_WORD.has(words[0]!) && words[1] ? `${words[0]} ${words[1]}` : words[0]!;
}

export class EventMaker {
  readonly clock: LocalClock;
  private readonly destinationSamplers = new Map<string, WeightedSampler<string>>();

  constructor(
    readonly persona: RealisticPersona,
    private readonly web: Web,
  ) {
    this.clock = new LocalClock(persona.timeZone);
  }

  private pickWeighted<T>(random: SimRandom, items: readonly { value: T; weight: number }[]): T {
    return items[random.weighted(items.map((i) => i.weight))]!.value;
  }

  /** The tool's usual destination draw (browsers: favourites, the long-tail pool, or a new domain). */
  destination(random: SimRandom, tool: RealisticTool): string | undefined {
    if (!tool.destinations) return undefined;
    if (tool.browsing) {
      const x = random.next();
      if (x < tool.browsing.uniqueShare) return this.web.namer.fresh();
      if (x < tool.browsing.uniqueShare + tool.browsing.poolShare) return this.web.pool.draw(random);
    }
    let sampler = this.destinationSamplers.get(tool.name);
    if (!sampler) {
      sampler = new WeightedSampler(
        tool.destinations,
        tool.destinationWeights ?? tool.destinations.map(() => 1),
      );
      this.destinationSamplers.set(tool.name, sampler);
    }
    return sampler.draw(random);
  }

  make(random: SimRandom, tool: RealisticTool, moment: Moment, overrides: EventOverrides = {}): SimEvent {
    const success =
      overrides.success ?? !random.chance(Math.min(0.95, tool.errorRate * (overrides.errorRate ?? 1)));
    let duration = ld(random, [tool.durationMedianMs, tool.durationSigma]);
    if (random.chance(tool.longCallShare)) duration *= Math.min(200, random.logNormal(30, 0.6));
    duration = Math.min(MAX_DURATION_MS, duration * (overrides.durationFactor ?? 1));
    const usage: Record<string, number> = {};
    let action: string | undefined;
    let resourceCount = random.int(tool.resourceCount[0], tool.resourceCount[1]);
    let filePath: string | undefined;
    let metadata: Record<string, string> | undefined;
    const destination = overrides.destination ?? this.destination(random, tool);
    const actions = tool.actions;
    switch (tool.kind) {
      case 'http':
      case 'download':
      case 'upload':
      case 'browser':
      case 'db': {
        action = overrides.action ?? (actions ? this.pickWeighted(random, actions) : undefined);
        let sent = overrides.bytesSent ?? ld(random, tool.bytesSent ?? [1_000, 0.5]);
        let received = overrides.bytesReceived ?? ld(random, tool.bytesReceived ?? [10_000, 1]);
        if (tool.kind === 'db') {
          const table = random.pick(tool.tables ?? ['t']);
          metadata = { table };
          const rows = overrides.rows ?? Math.max(0, Math.round(ld(random, tool.rows ?? [10, 1])));
          resourceCount = rows;
          usage.rows = rows;
          // Reads bring rows back; writes send them (inserts, merges) or a statement (the rest).
          if (action !== 'select' && overrides.bytesReceived === undefined) received = 200 + rows * 2;
          if (overrides.bytesSent === undefined) {
            if (action === 'insert' || action === 'merge') sent = 400 + rows * 150;
            else if (action === 'update') sent = random.logNormal(1_500, 0.8);
          }
        }
        if (!success) {
          // A failed call moves little.
          received = Math.min(received, 600);
          sent = Math.min(sent, Math.max(400, sent * 0.2));
        }
        if (tool.throughput) {
          duration = Math.min(
            MAX_DURATION_MS,
            duration + ((sent + received) / ld(random, tool.throughput)) * 1000,
          );
        }
        usage.bytes_sent = Math.round(sent);
        usage.bytes_received = Math.round(received);
        usage.network_bytes = usage.bytes_sent + usage.bytes_received;
        usage.cpu_ms = Math.round(random.logNormal(Math.max(2, duration * 0.05), 0.5));
        break;
      }
      case 'shell': {
        const command = overrides.action ?? (actions ? this.pickWeighted(random, actions) : 'ls');
        action = commandVerb(command);
        metadata = { command };
        usage.cpu_ms = Math.round(random.logNormal(Math.max(2, duration * 0.3), 0.6));
        usage.exit_code = success ? 0 : random.pick([1, 2, 127]);
        break;
      }
      case 'read':
      case 'write':
      case 'list': {
        action = tool.kind;
        const template =
          overrides.pathTemplates !== undefined
            ? random.pick(overrides.pathTemplates)
            : this.pickWeighted(random, tool.files ?? [{ value: '/tmp/file-{int:1-99}.txt', weight: 1 }]);
        filePath = overrides.path ?? expandPath(template, random, moment);
        if (tool.kind === 'list') {
          resourceCount = Math.max(0, Math.round(random.logNormal(25, 1)));
        } else {
          const bytes = success ? Math.round(random.logNormal(typicalFileBytes(filePath), 0.9)) : 0;
          usage[tool.kind === 'read' ? 'bytes_read' : 'bytes_written'] = bytes;
          if (tool.throughput) duration += (bytes / ld(random, tool.throughput)) * 1000;
        }
        usage.cpu_ms = Math.round(random.logNormal(Math.max(1, duration * 0.2), 0.5));
        break;
      }
      case 'compute':
        action = overrides.action ?? 'run';
        usage.cpu_ms = Math.round(random.logNormal(duration * 0.7, 0.4));
        usage.memory_mb = Math.round(random.logNormal(350, 0.6));
        break;
    }
    const event: SimEvent = {
      event_id: '',
      agent_id: this.persona.agentId,
      session_id: moment.sessionId,
      timestamp: new Date(moment.at).toISOString(),
      event_type: tool.eventType,
      tool_name: tool.name,
      ...(action !== undefined ? { action } : {}),
      status: success ? 'success' : 'error',
      success,
      duration_ms: Math.max(1, Math.round(duration)),
      resource_count: resourceCount,
      ...(destination !== undefined ? { destination_domain: destination } : {}),
      ...(filePath !== undefined ? { file_path: filePath } : {}),
      resource_usage: usage,
      ...(metadata ? { metadata } : {}),
    };
    return event;
  }

  /** Local calendar context of a UTC time. */
  momentAt(at: number, sessionId: string, part?: number): Moment {
    const local = at + this.clock.offsetAt(at);
    const midnight = Math.floor(local / DAY) * DAY;
    return {
      at,
      sessionId,
      date: isoDate(midnight),
      yesterday: isoDate(midnight - DAY),
      hour: Math.floor((local - midnight) / HOUR),
      ...(part !== undefined ? { part } : {}),
    };
  }
}
