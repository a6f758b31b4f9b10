// The realistic regime: personas with many tools and long tails, ordinary work over history and live
// days, then the attack classes injected at agents able to host them (see ATTACK_CLASSES).

import { SimRandom, streamSeed, zipfWeights } from '../random.js';
import type { Campaign, Fleet, Label, LabelledEvent, SimEvent } from '../types.js';
import { ATTACK_CLASSES, type AttackClass, type Incident } from '../types.js';
import { Activity } from './activity.js';
import { canHost, httpTool, injectAttack, injectCampaign } from './attacks.js';
import { DAY, EventMaker, type Web, WeightedSampler } from './events.js';
import { makeRealisticPersona, type RealisticPersona } from './personas.js';
import { DomainNamer } from './vocabulary.js';

/** Domains in the fleet's long-tail web (drawn with Zipf popularity, exponent 1). */
const LONG_TAIL_POOL = 4_000;

export interface RealisticFleetOptions {
  readonly seed: number;
  readonly agents: number;
  readonly historyDays: number;
  readonly liveDays: number;
  readonly start: number;
  readonly attacks: readonly AttackClass[];
  /** Daytime bursts, each at its own steady agent (the first at one with a nightly batch job). */
  readonly bursts: number;
  /** Agents in the campaign (one never-seen domain within an hour); 0: none. */
  readonly campaignAgents: number;
}

/** Random streams of a fleet: personas, each agent's activity, assignments and attacks, the web. */
const STREAM = { personas: 0, activity: 1, attacks: 2, web: 3, campaign: 4 } as const;

/** Chooses an agent for each attack: able to host it, least used first; bursts at distinct agents. */
function assign(
  personas: readonly RealisticPersona[],
  attacks: readonly AttackClass[],
  bursts: number,
  random: SimRandom,
): Array<[AttackClass, RealisticPersona]> {
  const order = random.shuffled(personas);
  const used = new Map<string, number>();
  const out: Array<[AttackClass, RealisticPersona]> = [];
  const take = (label: AttackClass, prefer: (p: RealisticPersona) => boolean, exclusive: boolean) => {
    const candidates = order.filter(
      (p) => canHost(label, p) && !(exclusive && out.some(([l, q]) => l === label && q === p)),
    );
    if (!candidates.length) return;
    const cost = (p: RealisticPersona) => (used.get(p.agentId) ?? 0) * 2 + (prefer(p) ? 0 : 1);
    const chosen = candidates.reduce((best, p) => (cost(p) < cost(best) ? p : best));
    used.set(chosen.agentId, (used.get(chosen.agentId) ?? 0) + 1);
    out.push([label, chosen]);
  };
  if (attacks.includes('daytime-burst')) {
    for (let i = 0; i < bursts; i++)
      take('daytime-burst', (p) => (i === 0 ? p.batch !== undefined : true), true);
  }
  // The most demanding classes first (equally demanding ones in a random order).
  const rest = random.shuffled(
    ATTACK_CLASSES.filter((label) => label !== 'daytime-burst' && attacks.includes(label)),
  );
  const demand = (label: AttackClass) => personas.filter((p) => canHost(label, p)).length;
  for (const label of rest.sort((a, b) => demand(a) - demand(b))) take(label, () => true, false);
  return out;
}

export function generateRealisticFleet(o: RealisticFleetOptions): Fleet {
  const personaRandom = new SimRandom(streamSeed(o.seed, STREAM.personas));
  const personas = Array.from({ length: o.agents }, (_, i) => makeRealisticPersona(personaRandom, i));
  const webRandom = new SimRandom(streamSeed(o.seed, STREAM.web));
  const namer = new DomainNamer(webRandom);
  namer.reserve(personas.flatMap((p) => p.tools.flatMap((t) => t.destinations ?? [])));
  const pool = Array.from({ length: LONG_TAIL_POOL }, () => namer.fresh());
  const web: Web = { pool: new WeightedSampler(pool, zipfWeights(pool.length, 1)), namer };
  const liveFrom = o.historyDays;
  const liveTo = o.historyDays + o.liveDays;
  const liveStart = o.start + liveFrom * DAY;
  const history: LabelledEvent[] = [];
  const live: LabelledEvent[] = [];
  const labelled = (event: SimEvent, label: Label): LabelledEvent => ({
    agentId: event.agent_id,
    event,
    label,
  });
  const agents = new Map<string, { maker: EventMaker; activity: Activity }>();
  personas.forEach((persona, i) => {
    const random = new SimRandom(streamSeed(o.seed, STREAM.activity, i));
    const maker = new EventMaker(persona, web);
    const activity = new Activity(persona, maker, random);
    agents.set(persona.agentId, { maker, activity });
    for (const event of activity.days(o.start, 0, liveTo)) {
      (Date.parse(event.timestamp) < liveStart ? history : live).push(labelled(event, 'normal'));
    }
  });
  const assignRandom = new SimRandom(streamSeed(o.seed, STREAM.attacks));
  const incidents: Incident[] = [];
  const injected: Partial<Record<AttackClass, string>> = {};
  assign(personas, o.attacks, o.bursts, assignRandom).forEach(([label, persona], ordinal) => {
    const { maker, activity } = agents.get(persona.agentId)!;
    const random = new SimRandom(streamSeed(o.seed, STREAM.attacks, ordinal + 1));
    const result = injectAttack(label, {
      persona,
      maker,
      activity,
      random,
      start: o.start,
      liveFrom,
      liveTo,
      ordinal,
      freshDomain: () => namer.fresh(),
    });
    incidents.push(result.incident);
    injected[label] ??= persona.agentId;
    for (const event of result.history) history.push(labelled(event, 'poisoning-seed'));
    for (const event of result.live) live.push(labelled(event, label));
  });
  // The campaign: agents with an http tool (its own random stream: the attacks above are unchanged).
  let campaign: Campaign | undefined;
  if (o.campaignAgents > 0) {
    const campaignRandom = new SimRandom(streamSeed(o.seed, STREAM.campaign));
    const members = campaignRandom
      .shuffled(personas.filter((p) => httpTool(p) !== undefined))
      .slice(0, o.campaignAgents)
      .map((persona) => ({ persona, ...agents.get(persona.agentId)! }));
    if (members.length >= 2) {
      const made = injectCampaign(
        members,
        campaignRandom,
        { start: o.start, liveFrom, liveTo },
        namer.fresh(),
      );
      campaign = made.campaign;
      for (const event of made.live) live.push(labelled(event, 'campaign'));
    }
  }
  const byTime = (a: LabelledEvent, b: LabelledEvent) =>
    a.event.timestamp < b.event.timestamp ? -1 : a.event.timestamp > b.event.timestamp ? 1 : 0;
  history.sort(byTime);
  live.sort(byTime);
  // Event ids in time order per agent: an id says nothing about how the event was made.
  const counters = new Map<string, number>();
  for (const { event } of [...history, ...live]) {
    const n = (counters.get(event.agent_id) ?? 0) + 1;
    counters.set(event.agent_id, n);
    event.event_id = `${event.agent_id}-${n}`;
  }
  return {
    seed: o.seed,
    regime: 'realistic',
    personas,
    start: o.start,
    liveStart,
    history,
    live,
    injected,
    incidents: incidents.sort((a, b) => a.start - b.start),
    ...(campaign ? { campaign } : {}),
  };
}
