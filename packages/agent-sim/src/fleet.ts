// Fleet generation: N days of ordinary history per persona, then a live period with labelled attack
// scenarios and one benign change (a new tool adopted for good).
import { LocalClock, parseOrThrow, ValidationError } from '@harombe/models';
import { z } from 'zod';
import { makePersona, type Persona, type ToolProfile } from './personas.js';
import { SimRandom } from './random.js';
import { generateRealisticFleet } from './realistic/fleet.js';
import {
  ATTACK_CLASSES,
  type Fleet,
  type LabelledEvent,
  REGIMES,
  SCENARIOS,
  type Scenario,
  type SimEvent,
} from './types.js';

export {
  ATTACK_CLASSES,
  type AttackClass,
  type Campaign,
  type Fleet,
  type Incident,
  type Label,
  type LabelledEvent,
  REGIMES,
  type Regime,
  SCENARIOS,
  type Scenario,
  type SimEvent,
} from './types.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const ToolProfileSchema = z
  .object({
    name: z.string().min(1),
    eventType: z.string().min(1),
    weight: z.number().positive(),
    durationMedianMs: z.number().positive(),
    durationSigma: z.number().min(0),
    resourceCount: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
    destinations: z.array(z.string().min(1)).min(1).optional(),
    directories: z.array(z.string().min(1)).min(1).optional(),
    networkBytesMedian: z.number().positive().optional(),
  })
  .strict()
  .refine((t) => t.resourceCount[0] <= t.resourceCount[1], {
    message: 'resourceCount: the first bound must not exceed the second',
  });

/** A persona of one's own (see `Persona`). */
export const PersonaSchema = z
  .object({
    agentId: z.string().min(1).max(256),
    role: z.string().min(1),
    timeZone: z.string().min(1),
    hours: z.tuple([z.number().int().min(0).max(23), z.number().int().min(1).max(24)]),
    weekdaysOnly: z.boolean(),
    callsPerHour: z.number().positive().max(10_000),
    errorRate: z.number().min(0).max(1),
    tools: z.array(ToolProfileSchema).min(1),
  })
  .strict()
  .refine((p) => p.hours[0] < p.hours[1], { message: 'hours: start must be before end' });

export const FleetOptionsSchema = z
  .object({
    seed: z.number().int().min(0).default(1),
    agents: z.number().int().min(1).max(10_000).default(12),
    /** Agents of one's own instead of `agents` generated ones (their tools, hours, zones). */
    personas: z.array(PersonaSchema).min(1).optional(),
    historyDays: z.number().int().min(1).max(365).default(28),
    liveDays: z.number().int().min(1).max(60).default(7),
    start: z.number().default(Date.UTC(2026, 0, 5)),
    scenarios: z.array(z.enum(SCENARIOS)).default([...SCENARIOS]),
    benignChange: z.boolean().default(true),
    /** `classic` (default) or `realistic`. */
    regime: z.enum(REGIMES).default('classic'),
    /** Realistic regime: which attack classes to inject (default all). */
    attacks: z.array(z.enum(ATTACK_CLASSES)).optional(),
    /** Realistic regime: how many daytime bursts, each at its own steady agent (default 2). */
    bursts: z.number().int().min(0).max(1_000).optional(),
    /**
     * Realistic regime: agents in the campaign, several agents reaching one never-seen domain with
     * ordinary calls within an hour, labelled `campaign` (default 3; 0 for none).
     */
    campaignAgents: z.number().int().min(0).max(1_000).optional(),
  })
  .strict();

/** Options that belong to one regime only. */
const CLASSIC_ONLY = ['personas', 'scenarios', 'benignChange'] as const;
const REALISTIC_ONLY = ['attacks', 'bursts', 'campaignAgents'] as const;

export type FleetOptions = Omit<z.input<typeof FleetOptionsSchema>, 'personas'> & {
  /** Agents of one's own instead of `agents` generated ones (their tools, hours, zones). */
  personas?: readonly Persona[];
};

/** Local (day, hour, minute) of a persona → UTC epoch ms. */
function localToUtc(clock: LocalClock, localMs: number): number {
  let utc = localMs - clock.offsetAt(localMs);
  utc = localMs - clock.offsetAt(utc);
  return utc;
}

class EventFactory {
  private counter = 0;

  constructor(private readonly persona: Persona) {}

  make(random: SimRandom, at: number, tool: ToolProfile, overrides: Partial<SimEvent> = {}): SimEvent {
    const success = random.next() >= this.persona.errorRate;
    const event: SimEvent = {
      event_id: `${this.persona.agentId}-${++this.counter}`,
      agent_id: this.persona.agentId,
      timestamp: new Date(at).toISOString(),
      event_type: tool.eventType,
      tool_name: tool.name,
      status: success ? 'success' : 'error',
      success,
      duration_ms: Math.max(1, Math.round(random.logNormal(tool.durationMedianMs, tool.durationSigma))),
      resource_count: random.int(tool.resourceCount[0], tool.resourceCount[1]),
      resource_usage: { cpu_ms: Math.round(random.logNormal(tool.durationMedianMs * 0.3, 0.3)) },
    };
    if (tool.destinations) {
      event.destination_domain = random.pick(tool.destinations);
      event.resource_usage.network_bytes = Math.round(
        random.logNormal(tool.networkBytesMedian ?? 10_000, 0.5),
      );
    }
    if (tool.directories) event.file_path = `${random.pick(tool.directories)}/file-${random.int(1, 400)}.txt`;
    return {
      ...event,
      ...overrides,
      resource_usage: { ...event.resource_usage, ...overrides.resource_usage },
    };
  }
}

/** Sorts by timestamp (ISO text of one format sorts as text), stable. */
function sortByTime(events: LabelledEvent[]): void {
  events.sort((a, b) =>
    a.event.timestamp < b.event.timestamp ? -1 : a.event.timestamp > b.event.timestamp ? 1 : 0,
  );
}

/** Ordinary activity of one persona over [fromDay, toDay). */
function ordinaryDays(
  persona: Persona,
  factory: EventFactory,
  random: SimRandom,
  start: number,
  fromDay: number,
  toDay: number,
  extraTools: ToolProfile[] = [],
): SimEvent[] {
  const clock = new LocalClock(persona.timeZone);
  const tools = [...persona.tools, ...extraTools];
  const weights = tools.map((t) => t.weight);
  const events: SimEvent[] = [];
  for (let day = fromDay; day < toDay; day++) {
    const localMidnight = start + day * DAY;
    const weekday = (new Date(localMidnight).getUTCDay() + 6) % 7;
    if (persona.weekdaysOnly && weekday >= 5) continue;
    for (let hour = persona.hours[0]; hour < persona.hours[1]; hour++) {
      const calls = random.poisson(persona.callsPerHour);
      for (let k = 0; k < calls; k++) {
        const at = localToUtc(clock, localMidnight + hour * HOUR + Math.floor(random.next() * HOUR));
        events.push(factory.make(random, at, tools[random.weighted(weights)]!));
      }
    }
  }
  return events;
}

/**
 * Generates a fleet. Deterministic for a seed.
 * @example generateFleet({ seed: 7, agents: 12 }).live.filter((e) => e.label !== 'normal')
 */
export function generateFleet(options: FleetOptions = {}): Fleet {
  const o = parseOrThrow(FleetOptionsSchema, options, 'generateFleet options');
  const foreign = (o.regime === 'classic' ? REALISTIC_ONLY : CLASSIC_ONLY).filter(
    (key) => options[key] !== undefined,
  );
  if (foreign.length) {
    throw new ValidationError(
      'generateFleet options',
      foreign.map((key) => ({
        path: key,
        code: 'unrecognized_keys',
        message: `applies only to regime '${o.regime === 'classic' ? 'realistic' : 'classic'}' (regime is '${o.regime}')`,
      })),
    );
  }
  if (o.regime === 'realistic') {
    return generateRealisticFleet({
      seed: o.seed,
      agents: o.agents,
      historyDays: o.historyDays,
      liveDays: o.liveDays,
      start: o.start,
      attacks: o.attacks ?? [...ATTACK_CLASSES],
      bursts: o.bursts ?? 2,
      campaignAgents: o.campaignAgents ?? 3,
    });
  }
  const random = new SimRandom(o.seed);
  const personas: Persona[] =
    o.personas ?? Array.from({ length: o.agents }, (_, i) => makePersona(random, i));
  const ids = new Set(personas.map((p) => p.agentId));
  if (ids.size !== personas.length) {
    throw new ValidationError('generateFleet options', [
      { path: 'personas', code: 'duplicate', message: 'every persona needs its own agentId' },
    ]);
  }
  const factories = new Map(personas.map((p) => [p.agentId, new EventFactory(p)]));
  const liveFrom = o.historyDays;
  const liveTo = o.historyDays + o.liveDays;
  const history: LabelledEvent[] = [];
  const live: LabelledEvent[] = [];
  const injected: Partial<Record<Scenario | 'benign-change', string>> = {};
  // Assign scenarios to agents: weekend activity needs a weekday-only agent.
  const pool = [...personas];
  const take = (predicate: (p: Persona) => boolean = () => true): Persona | undefined => {
    const index = pool.findIndex(predicate);
    return index < 0 ? undefined : pool.splice(index, 1)[0];
  };
  const assignments: Array<[Scenario | 'benign-change', Persona]> = [];
  for (const scenario of o.scenarios) {
    const persona = scenario === 'weekend-activity' ? take((p) => p.weekdaysOnly) : take();
    if (persona) assignments.push([scenario, persona]);
  }
  const benign = o.benignChange ? take() : undefined;
  if (benign) assignments.push(['benign-change', benign]);
  const benignTool: ToolProfile = {
    name: 'report_export',
    eventType: 'tool_call',
    weight: 2,
    durationMedianMs: 700,
    durationSigma: 0.3,
    resourceCount: [1, 3],
  };
  for (const persona of personas) {
    const factory = factories.get(persona.agentId)!;
    const personaRandom = new SimRandom(o.seed * 7919 + personas.indexOf(persona));
    for (const event of ordinaryDays(persona, factory, personaRandom, o.start, 0, liveFrom)) {
      history.push({ agentId: persona.agentId, event, label: 'normal' });
    }
    const adoptsTool = benign?.agentId === persona.agentId;
    // The benign change starts on the second live day and continues for good.
    if (adoptsTool) {
      for (const event of ordinaryDays(persona, factory, personaRandom, o.start, liveFrom, liveFrom + 1)) {
        live.push({ agentId: persona.agentId, event, label: 'normal' });
      }
      for (const event of ordinaryDays(persona, factory, personaRandom, o.start, liveFrom + 1, liveTo, [
        benignTool,
      ])) {
        live.push({
          agentId: persona.agentId,
          event,
          label: event.tool_name === benignTool.name ? 'benign-change' : 'normal',
        });
      }
    } else {
      for (const event of ordinaryDays(persona, factory, personaRandom, o.start, liveFrom, liveTo)) {
        live.push({ agentId: persona.agentId, event, label: 'normal' });
      }
    }
  }
  for (const [scenario, persona] of assignments) {
    injected[scenario] = persona.agentId;
    if (scenario === 'benign-change') continue;
    const scenarioRandom = new SimRandom(o.seed * 104_729 + SCENARIOS.indexOf(scenario));
    for (const event of inject(
      scenario,
      persona,
      factories.get(persona.agentId)!,
      scenarioRandom,
      o.start,
      liveFrom,
      liveTo,
    )) {
      live.push({ agentId: persona.agentId, event, label: scenario });
    }
  }
  sortByTime(history);
  sortByTime(live);
  return {
    seed: o.seed,
    regime: 'classic',
    personas,
    start: o.start,
    liveStart: o.start + liveFrom * DAY,
    history,
    live,
    injected,
  };
}

/** The first live day (from `fromDay`) with the wanted weekday kind. */
function liveDay(start: number, fromDay: number, toDay: number, weekend: boolean): number {
  for (let day = fromDay + 2; day < toDay + 7; day++) {
    const weekday = (new Date(start + day * DAY).getUTCDay() + 6) % 7;
    if (weekday >= 5 === weekend) return Math.min(day, toDay - 1);
  }
  return fromDay;
}

function inject(
  scenario: Scenario,
  persona: Persona,
  factory: EventFactory,
  random: SimRandom,
  start: number,
  fromDay: number,
  toDay: number,
): SimEvent[] {
  const clock = new LocalClock(persona.timeZone);
  const workday = start + liveDay(start, fromDay, toDay, false) * DAY;
  const workHour = persona.hours[0] + 2;
  const at = (localMs: number) => localToUtc(clock, localMs);
  const ordinaryTool = () => persona.tools[random.weighted(persona.tools.map((t) => t.weight))]!;
  const events: SimEvent[] = [];
  const series = (count: number, from: number, spanMs: number, make: (i: number, at: number) => SimEvent) => {
    for (let i = 0; i < count; i++) events.push(make(i, at(from + Math.floor((i / count) * spanMs))));
  };
  switch (scenario) {
    case 'off-hours-exfiltration': {
      const tool: ToolProfile = persona.tools.find((t) => t.destinations) ?? {
        name: 'http_request',
        eventType: 'tool_call',
        weight: 1,
        durationMedianMs: 300,
        durationSigma: 0.3,
        resourceCount: [1, 1],
      };
      series(12, workday + 2 * HOUR + 10 * 60_000, 50 * 60_000, (_, t) =>
        factory.make(random, t, tool, {
          destination_domain: 'drop.exfil-storage.net',
          duration_ms: Math.round(random.logNormal(tool.durationMedianMs * 6, 0.3)),
          resource_count: random.int(40, 80),
          resource_usage: { network_bytes: Math.round(random.logNormal(50_000_000, 0.3)) },
          success: true,
          status: 'success',
        }),
      );
      break;
    }
    case 'new-tool-shell':
      series(8, workday + workHour * HOUR, 40 * 60_000, (_, t) =>
        factory.make(
          random,
          t,
          {
            name: 'shell_execute',
            eventType: 'command_exec',
            weight: 1,
            durationMedianMs: 900,
            durationSigma: 0.4,
            resourceCount: [1, 3],
          },
          { action: 'bash -c', success: true, status: 'success' },
        ),
      );
      break;
    case 'failure-storm':
      series(40, workday + (workHour + 1) * HOUR, 10 * 60_000, (i, t) =>
        factory.make(
          random,
          t,
          {
            name: 'auth_login',
            eventType: 'authentication',
            weight: 1,
            durationMedianMs: 150,
            durationSigma: 0.2,
            resourceCount: [1, 1],
            destinations: ['sso.internal.example'],
          },
          { success: i % 20 === 19, status: i % 20 === 19 ? 'success' : 'failure' },
        ),
      );
      break;
    case 'call-burst':
      series(150, workday + (workHour + 2) * HOUR, 10 * 60_000, (_, t) =>
        factory.make(random, t, ordinaryTool(), { success: true, status: 'success' }),
      );
      break;
    case 'slow-operations':
      series(10, workday + (workHour + 3) * HOUR, 60 * 60_000, (_, t) => {
        const tool = ordinaryTool();
        return factory.make(random, t, tool, {
          duration_ms: Math.round(random.logNormal(tool.durationMedianMs * 40, 0.2)),
          success: true,
          status: 'success',
        });
      });
      break;
    case 'weekend-activity': {
      const saturday = start + liveDay(start, fromDay, toDay, true) * DAY;
      series(20, saturday + workHour * HOUR, 3 * HOUR, (_, t) =>
        factory.make(random, t, ordinaryTool(), { success: true, status: 'success' }),
      );
      break;
    }
    case 'mass-file-reads': {
      const paths = ['/etc/ssh', '/root/.ssh', '/var/lib/secrets', '/home/admin/.aws', '/etc/kubernetes/pki'];
      series(60, workday + (workHour + 4) * HOUR, 10 * 60_000, (i, t) =>
        factory.make(
          random,
          t,
          {
            name: 'read_file',
            eventType: 'file_operation',
            weight: 1,
            durationMedianMs: 30,
            durationSigma: 0.3,
            resourceCount: [1, 2],
          },
          { file_path: `${paths[i % paths.length]}/key-${i}.pem`, success: true, status: 'success' },
        ),
      );
      break;
    }
  }
  return events;
}

/** One JSON object per line: the event's fields plus `label`. */
export function toJsonl(events: readonly LabelledEvent[], withLabels = true): string {
  return (
    events.map((e) => JSON.stringify(withLabels ? { ...e.event, label: e.label } : e.event)).join('\n') +
    (events.length ? '\n' : '')
  );
}
