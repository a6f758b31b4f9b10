// What the behaviour bench measures of incidents: whether each injected attack (one class at one
// agent) makes exactly one incident holding all its flagged events; whether normal events in the
// hour after an attack open a new incident; how many incidents normal work opens per agent-week;
// whether each attack is announced (one of its events opened its incident, raised its level or
// brought it a new finding: what an audit logger's `onAlert` hears of); and whether a campaign (one unusual thing at several agents) becomes one campaign incident.

const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * 24 * HOUR_MS;

/** One assessed live event, as incidents see it. */
export interface Filed {
  readonly agentId: string;
  readonly label: string;
  readonly at: number;
  readonly incident: {
    readonly id: string;
    readonly opened: boolean;
    readonly escalated: boolean;
    readonly finding: boolean;
  } | null;
}

export interface IncidentFigures {
  /** Attacks (class x agent) with at least one flagged event. */
  readonly attacks: number;
  /** ... whose flagged events are all in one incident. */
  readonly oneIncident: number;
  /** ... one of whose events opened its incident, raised its level or brought it a new finding. */
  readonly announced: number;
  /** Attacks after which some normal event of the agent opened an incident within the hour. */
  readonly echoOpened: number;
  /** Incidents opened by normal events, per agent per week. */
  readonly normalPerAgentWeek: number;
  /** Campaign scenarios (several agents) and those with one campaign incident listing all of them. */
  readonly campaigns: number;
  readonly campaignsFound: number;
  /** Campaign incidents linking only normal activity. */
  readonly falseCampaigns: number;
}

export const INCIDENT_TARGETS = { oneIncident: 0.9, noEcho: 0.9, normalPerAgentWeek: 2 } as const;

/** Campaign incidents as the detector lists them. */
export interface CampaignListing {
  readonly agentIds: readonly string[];
  readonly eventIds: readonly string[];
}

export function incidentFigures(
  filed: readonly Filed[],
  campaignLabel: string,
  campaignIncidents: readonly CampaignListing[],
  labelOfEvent: ReadonlyMap<string, string>,
  liveMs: number,
): IncidentFigures {
  const attacks = new Map<
    string,
    { agentId: string; end: number; incidents: Set<string>; announced: boolean }
  >();
  const agents = new Set<string>();
  let normalOpened = 0;
  for (const e of filed) {
    agents.add(e.agentId);
    if (e.label === 'normal') {
      if (e.incident?.opened) normalOpened++;
      continue;
    }
    if (e.label === campaignLabel || e.label === 'benign-change') continue;
    const key = `${e.label}\u0000${e.agentId}`;
    let attack = attacks.get(key);
    if (attack === undefined) {
      attack = { agentId: e.agentId, end: e.at, incidents: new Set(), announced: false };
      attacks.set(key, attack);
    }
    attack.end = Math.max(attack.end, e.at);
    if (e.incident) attack.incidents.add(e.incident.id);
    if (e.incident && (e.incident.opened || e.incident.escalated || e.incident.finding))
      attack.announced = true;
  }
  let flaggedAttacks = 0;
  let oneIncident = 0;
  let announced = 0;
  let echoOpened = 0;
  for (const attack of attacks.values()) {
    if (attack.incidents.size === 0) continue;
    flaggedAttacks++;
    if (attack.incidents.size === 1) oneIncident++;
    if (attack.announced) announced++;
    const echo = filed.some(
      (e) =>
        e.agentId === attack.agentId &&
        e.label === 'normal' &&
        e.at > attack.end &&
        e.at <= attack.end + HOUR_MS &&
        e.incident?.opened,
    );
    if (echo) echoOpened++;
  }
  // Campaign scenarios: the agents whose events carry the campaign label.
  const campaignAgents = new Set(filed.filter((e) => e.label === campaignLabel).map((e) => e.agentId));
  const found = campaignIncidents.filter(
    (c) => campaignAgents.size > 0 && [...campaignAgents].every((a) => c.agentIds.includes(a)),
  );
  const falseCampaigns = campaignIncidents.filter((c) =>
    c.eventIds.every((id) => (labelOfEvent.get(id) ?? 'normal') === 'normal'),
  ).length;
  return {
    attacks: flaggedAttacks,
    oneIncident,
    announced,
    echoOpened,
    normalPerAgentWeek: agents.size ? normalOpened / agents.size / (liveMs / WEEK_MS) : 0,
    campaigns: campaignAgents.size > 0 ? 1 : 0,
    campaignsFound: found.length === 1 ? 1 : 0,
    falseCampaigns,
  };
}

/** Sums figures of several runs. */
export function pooledIncidents(
  runs: readonly IncidentFigures[],
  weeksPerRun: readonly number[],
): IncidentFigures {
  const sum = (f: (r: IncidentFigures) => number) => runs.reduce((s, r) => s + f(r), 0);
  const weight = weeksPerRun.reduce((s, w) => s + w, 0);
  return {
    attacks: sum((r) => r.attacks),
    oneIncident: sum((r) => r.oneIncident),
    announced: sum((r) => r.announced),
    echoOpened: sum((r) => r.echoOpened),
    normalPerAgentWeek: weight
      ? runs.reduce((s, r, i) => s + r.normalPerAgentWeek * weeksPerRun[i]!, 0) / weight
      : 0,
    campaigns: sum((r) => r.campaigns),
    campaignsFound: sum((r) => r.campaignsFound),
    falseCampaigns: sum((r) => r.falseCampaigns),
  };
}

export function incidentLine(f: IncidentFigures): string {
  const share = (n: number, d: number) => (d ? `${n}/${d} (${((100 * n) / d).toFixed(1)}%)` : '-');
  return `incidents: one per attack ${share(f.oneIncident, f.attacks)}; announced ${share(f.announced, f.attacks)}; no new incident in the hour after ${share(f.attacks - f.echoOpened, f.attacks)}; opened by normal work ${f.normalPerAgentWeek.toFixed(2)} per agent-week; campaigns found ${share(f.campaignsFound, f.campaigns)}, false campaigns ${f.falseCampaigns}`;
}

/** The incident targets this run misses, in words (none: it passes). */
export function incidentMisses(f: IncidentFigures): string[] {
  const out: string[] = [];
  const t = INCIDENT_TARGETS;
  if (f.attacks > 0 && f.oneIncident / f.attacks < t.oneIncident)
    out.push(
      `attacks in one incident ${((100 * f.oneIncident) / f.attacks).toFixed(1)}% < ${t.oneIncident * 100}%`,
    );
  if (f.attacks > 0 && (f.attacks - f.echoOpened) / f.attacks < t.noEcho)
    out.push(
      `no new incident after an attack ${((100 * (f.attacks - f.echoOpened)) / f.attacks).toFixed(1)}% < ${t.noEcho * 100}%`,
    );
  if (f.normalPerAgentWeek > t.normalPerAgentWeek)
    out.push(
      `incidents opened by normal work ${f.normalPerAgentWeek.toFixed(2)} per agent-week > ${t.normalPerAgentWeek}`,
    );
  if (f.campaignsFound < f.campaigns) out.push(`campaigns found ${f.campaignsFound}/${f.campaigns}`);
  if (f.falseCampaigns > 0) out.push(`${f.falseCampaigns} campaigns of normal work only`);
  return out;
}
