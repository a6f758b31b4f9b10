// Ordinary activity of a realistic persona: an hour-of-day profile with day-to-day variation,
// weekend work at some agents, steady (one call at a time) or bursty (sessions of many quick calls)
// work, occasional upstream outages, and a nightly batch job at some agents.

import type { SimRandom } from '../random.js';
import type { SimEvent } from '../types.js';
import { DAY, type EventMaker, HOUR, isoDate, localToUtc, MINUTE } from './events.js';
import type { RealisticPersona, RealisticTool } from './personas.js';

/** Calls per bursty session: 1 + floor(log-normal(median 6, sigma 0.8)), about 8.8 on average. */
const SESSION_MEDIAN = 6;
const SESSION_SIGMA = 0.8;
export const MEAN_SESSION_CALLS = 1 + SESSION_MEDIAN * Math.exp(SESSION_SIGMA ** 2 / 2) - 0.5;

/** Monday = 0 ... Sunday = 6 of a local-midnight value. */
export function weekdayOf(localMidnight: number): number {
  return (new Date(localMidnight).getUTCDay() + 6) % 7;
}

/** The agent's expected calls in a local hour of a working weekday (no day-to-day variation). */
export function expectedRate(persona: RealisticPersona, hour: number): number {
  return persona.callsPerHour * persona.hourProfile[hour]!;
}

export class Activity {
  private readonly weights: number[];
  private sessions = 0;

  constructor(
    private readonly persona: RealisticPersona,
    private readonly maker: EventMaker,
    private readonly random: SimRandom,
  ) {
    this.weights = persona.tools.map((t) => t.weight);
  }

  /** A session id, unique within the agent. */
  sessionId(random: SimRandom = this.random): string {
    return `${this.persona.agentId}-s${++this.sessions}-${random.hex(6)}`;
  }

  /** A tool drawn by the persona's (Zipf-like) weights. */
  ordinaryTool(random: SimRandom = this.random): RealisticTool {
    return this.persona.tools[random.weighted(this.weights)]!;
  }

  /** Ordinary work (and the nightly batch) over local days [fromDay, toDay). */
  days(start: number, fromDay: number, toDay: number): SimEvent[] {
    const events: SimEvent[] = [];
    for (let day = fromDay; day < toDay; day++) this.day(start + day * DAY, events);
    return events;
  }

  private day(localMidnight: number, events: SimEvent[]): void {
    const { persona, random, maker } = this;
    const weekend = weekdayOf(localMidnight) >= 5;
    let factor = (weekend ? persona.weekendFactor : 1) * random.logNormal(1, 0.25);
    if (random.chance(0.03)) factor *= 0.15; // a quiet day
    // An upstream outage: one network tool fails often and slowly for a while.
    const networkTools = persona.tools.filter((t) => t.kind === 'http' || t.kind === 'download');
    const outage =
      networkTools.length && random.chance(0.06)
        ? {
            tool: random.pick(networkTools).name,
            from: localToUtc(
              maker.clock,
              localMidnight + random.int(persona.hours[0], persona.hours[1] - 1) * HOUR,
            ),
            minutes: random.int(10, 30),
          }
        : undefined;
    const emit = (at: number, tool: RealisticTool, sessionId: string) => {
      const inOutage =
        outage &&
        tool.name === outage.tool &&
        at >= outage.from &&
        at < outage.from + outage.minutes * MINUTE;
      events.push(
        maker.make(
          random,
          tool,
          maker.momentAt(at, sessionId),
          inOutage ? { errorRate: 25, durationFactor: 4 } : {},
        ),
      );
    };
    if (factor > 0) {
      for (let hour = 0; hour < 24; hour++) {
        const rate = expectedRate(persona, hour) * factor;
        if (rate <= 0) continue;
        const hourStart = localToUtc(maker.clock, localMidnight + hour * HOUR);
        if (persona.sessionStyle === 'steady') {
          const calls = random.poisson(rate);
          if (!calls) continue;
          const sessionId = this.sessionId();
          for (let k = 0; k < calls; k++)
            emit(hourStart + Math.floor(random.next() * HOUR), this.ordinaryTool(), sessionId);
        } else {
          const sessions = random.poisson(rate / MEAN_SESSION_CALLS);
          for (let s = 0; s < sessions; s++) {
            const length = 1 + Math.floor(random.logNormal(SESSION_MEDIAN, SESSION_SIGMA));
            const sessionId = this.sessionId();
            const primary = this.ordinaryTool();
            let at = hourStart + Math.floor(random.next() * HOUR);
            for (let k = 0; k < length; k++) {
              emit(at, random.chance(0.5) ? primary : this.ordinaryTool(), sessionId);
              at += Math.round(random.logNormal(12_000, 1));
            }
          }
        }
      }
    }
    if (persona.batch) this.batch(localMidnight, events);
  }

  /** The nightly job: many calls in a short span, writing yesterday's partitions part by part. */
  private batch(localMidnight: number, events: SimEvent[]): void {
    const { persona, random, maker } = this;
    const job = persona.batch!;
    const steps = job.steps
      .map((step) => ({ step, tool: persona.tools.find((t) => t.name === step.tool) }))
      .filter((s): s is { step: (typeof job.steps)[number]; tool: RealisticTool } => s.tool !== undefined);
    if (!steps.length) return;
    const weights = steps.map((s) => s.step.share);
    const calls = random.int(job.calls[0], job.calls[1]);
    const span = random.int(job.spanMinutes[0], job.spanMinutes[1]) * MINUTE;
    const from = localToUtc(
      maker.clock,
      localMidnight + job.startMinute * MINUTE + random.int(-5, 5) * MINUTE,
    );
    const sessionId = `${persona.agentId}-${job.name}-${isoDate(localMidnight)}`;
    const times = Array.from({ length: calls }, () => from + Math.floor(random.next() * span)).sort(
      (a, b) => a - b,
    );
    const parts = new Map<string, number>();
    for (const at of times) {
      const { step, tool } = steps[random.weighted(weights)]!;
      const part = parts.get(tool.name) ?? 0;
      parts.set(tool.name, part + 1);
      events.push(
        maker.make(random, tool, maker.momentAt(at, sessionId, part), {
          ...(step.files ? { pathTemplates: step.files } : {}),
          ...(step.actions
            ? { action: step.actions[random.weighted(step.actions.map((a) => a.weight))]!.value }
            : {}),
        }),
      );
    }
  }
}
