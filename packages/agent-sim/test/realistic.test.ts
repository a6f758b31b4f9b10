import { createHash } from 'node:crypto';
import { LocalClock, parseSecurityEvent } from '@harombe/models';
import { describe, expect, it } from 'vitest';
import {
  ATTACK_CLASSES,
  generateFleet,
  type LabelledEvent,
  type RealisticPersona,
  type SimEvent,
  toJsonl,
} from '../src/index.js';

const OPTIONS = { regime: 'realistic', seed: 5, agents: 10, historyDays: 28, liveDays: 7 } as const;
const fleet = generateFleet(OPTIONS);
const personas = fleet.personas as readonly RealisticPersona[];
const personaOf = (agentId: string) => personas.find((p) => p.agentId === agentId)!;
const of = (label: string) => fleet.live.filter((e) => e.label === label);
const historyOf = (agentId: string) =>
  fleet.history.filter((e) => e.agentId === agentId && e.label === 'normal').map((e) => e.event);
const time = (e: SimEvent) => Date.parse(e.timestamp);
const directory = (path: string) => path.slice(0, path.lastIndexOf('/'));
const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const localHour = (persona: RealisticPersona, ms: number) =>
  Math.floor(new LocalClock(persona.timeZone).hourOfDay(ms));
const localDay = (persona: RealisticPersona, ms: number) => new LocalClock(persona.timeZone).dayOfWeek(ms);
const sha = (events: readonly LabelledEvent[]) => createHash('sha256').update(toJsonl(events)).digest('hex');

describe('classic regime', () => {
  it('is byte-identical to the generator before the realistic regime existed', () => {
    // Recorded from the generator at commit 386d042, before the realistic regime was added.
    const hash = (options: Parameters<typeof generateFleet>[0]) => {
      const f = generateFleet(options);
      return createHash('sha256').update(toJsonl(f.history)).update(toJsonl(f.live)).digest('hex');
    };
    expect(hash({ seed: 3, agents: 10, historyDays: 14, liveDays: 7 })).toBe(
      '5b56918683e1d8d13ccc5c5243e1a346db87c8da9ecb7712415454e33622054b',
    );
    expect(hash({})).toBe('8cd4c540445156b7adbfae041dbc2f5c42751cf376b89204109d865cd8a80e67');
    expect(hash({ regime: 'classic' })).toBe(
      '8cd4c540445156b7adbfae041dbc2f5c42751cf376b89204109d865cd8a80e67',
    );
    expect(generateFleet({ agents: 2, historyDays: 2, liveDays: 1 }).regime).toBe('classic');
  });
});

describe('realistic regime: the fleet', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const again = generateFleet(OPTIONS);
    expect(sha(again.history)).toBe(sha(fleet.history));
    expect(sha(again.live)).toBe(sha(fleet.live));
    expect(again.incidents).toEqual(fleet.incidents);
    expect(sha(generateFleet({ ...OPTIONS, seed: 6 }).live)).not.toBe(sha(fleet.live));
  });

  it('produces valid SecurityEvents in time order, history before the live period', () => {
    expect(fleet.regime).toBe('realistic');
    for (const list of [fleet.history, fleet.live]) {
      let last = 0;
      for (const { event } of list) {
        const parsed = parseSecurityEvent(event);
        expect(parsed.timestamp.getTime()).toBeGreaterThanOrEqual(last);
        last = parsed.timestamp.getTime();
      }
    }
    expect(time(fleet.history.at(-1)!.event)).toBeLessThan(fleet.liveStart);
    expect(time(fleet.live[0]!.event)).toBeGreaterThanOrEqual(fleet.liveStart);
    expect(new Set(fleet.history.map((e) => e.label))).toEqual(new Set(['normal', 'poisoning-seed']));
    const ids = [...fleet.history, ...fleet.live].map((e) => e.event.event_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives every persona 8-15 tools with Zipf-like weights', () => {
    for (const persona of personas) {
      expect(persona.tools.length).toBeGreaterThanOrEqual(8);
      expect(persona.tools.length).toBeLessThanOrEqual(15);
      const weights = persona.tools.map((t) => t.weight);
      for (let i = 1; i < weights.length; i++) expect(weights[i]).toBeLessThanOrEqual(weights[i - 1]!);
      expect(weights[0]! / weights.at(-1)!).toBeGreaterThan(5);
      const used = new Set(historyOf(persona.agentId).map((e) => e.tool_name));
      expect(used.size).toBeGreaterThanOrEqual(8);
    }
  });

  it('has heavy-tailed durations with occasional very long calls', () => {
    for (const persona of personas) {
      const durations = historyOf(persona.agentId).map((e) => e.duration_ms);
      const median = quantile(durations, 0.5);
      expect(quantile(durations, 0.99) / median).toBeGreaterThan(10);
      expect(Math.max(...durations) / median).toBeGreaterThan(100);
    }
  });

  it('runs nightly batch jobs: every day a burst of many calls at night', () => {
    const batchAgents = personas.filter((p) => p.batch);
    expect(batchAgents.length).toBeGreaterThanOrEqual(2);
    for (const persona of batchAgents) {
      const runs = new Map<string, number[]>();
      for (const event of historyOf(persona.agentId)) {
        if (!event.session_id?.includes(persona.batch!.name)) continue;
        runs.set(event.session_id, [...(runs.get(event.session_id) ?? []), time(event)]);
      }
      // One run a day, weekends included (the first local day may start before the history).
      expect(runs.size).toBeGreaterThanOrEqual(OPTIONS.historyDays - 1);
      for (const times of runs.values()) {
        expect(times.length).toBeGreaterThanOrEqual(persona.batch!.calls[0]);
        expect(Math.max(...times) - Math.min(...times)).toBeLessThanOrEqual(60 * 60_000);
        expect(localHour(persona, times[0]!)).toBeLessThan(6);
      }
      // At night the batch runs many times faster than the busiest daytime hour.
      const batchRate = persona.batch!.calls[0] / (persona.batch!.spanMinutes[1] / 60);
      expect(batchRate).toBeGreaterThan(3 * persona.callsPerHour);
    }
  });

  it('browses a long tail: new domains often, some never repeated', () => {
    const browsers = personas.filter((p) => p.tools.some((t) => t.browsing && t.browsing.uniqueShare >= 0.1));
    expect(browsers.length).toBeGreaterThanOrEqual(1);
    const everywhere = new Map<string, number>();
    for (const { event } of [...fleet.history, ...fleet.live]) {
      if (event.destination_domain) {
        everywhere.set(event.destination_domain, (everywhere.get(event.destination_domain) ?? 0) + 1);
      }
    }
    for (const persona of browsers) {
      const tool = persona.tools.find((t) => t.browsing)!.name;
      const known = new Set(historyOf(persona.agentId).map((e) => e.destination_domain));
      const live = fleet.live.filter((e) => e.agentId === persona.agentId && e.event.tool_name === tool);
      const fresh = live.filter((e) => !known.has(e.event.destination_domain));
      expect(fresh.length / live.length).toBeGreaterThan(0.15);
      const once = live.filter((e) => everywhere.get(e.event.destination_domain!) === 1);
      expect(once.length).toBeGreaterThan(5);
    }
  });

  it('writes date-partitioned output and paths with ids, hashes and UUIDs', () => {
    const paths = fleet.history.flatMap((e) => (e.event.file_path ? [e.event.file_path] : []));
    const partitions = paths.filter((p) => /\/dt=\d{4}-\d{2}-\d{2}\/part-\d{5}\.parquet$/.test(p));
    expect(new Set(partitions.map((p) => /dt=([\d-]+)/.exec(p)![1])).size).toBeGreaterThanOrEqual(
      OPTIONS.historyDays - 1,
    );
    expect(
      paths.some((p) =>
        /\/job-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\//.test(p),
      ),
    ).toBe(true);
    expect(paths.some((p) => /\/[0-9a-f]{40}\.json$/.test(p) || /\/[0-9a-f]{8}\.(pdf|js)$/.test(p))).toBe(
      true,
    );
    // File tools name files, not only directories.
    const reads = fleet.history.filter((e) => e.event.action === 'read').map((e) => e.event.file_path!);
    expect(reads.every((p) => /\/[^/]+$/.test(p))).toBe(true);
    expect(reads.filter((p) => /\.[a-z]+$/.test(p)).length / reads.length).toBeGreaterThan(0.8);
  });

  it('works in sessions: bursty agents in clusters of quick calls, steady ones one by one', () => {
    const bursty = personas.filter((p) => p.sessionStyle === 'bursty');
    const steady = personas.filter((p) => p.sessionStyle === 'steady');
    expect(bursty.length).toBeGreaterThanOrEqual(1);
    expect(steady.length).toBeGreaterThanOrEqual(2);
    const medianGap = (persona: RealisticPersona) => {
      const times = historyOf(persona.agentId)
        .filter((e) => !persona.batch || !e.session_id?.includes(persona.batch.name))
        .map(time);
      return quantile(
        times.slice(1).map((t, i) => t - times[i]!),
        0.5,
      );
    };
    for (const persona of bursty) {
      const sessions = new Map<string, number>();
      for (const e of historyOf(persona.agentId))
        sessions.set(e.session_id!, (sessions.get(e.session_id!) ?? 0) + 1);
      expect([...sessions.values()].reduce((a, b) => a + b, 0) / sessions.size).toBeGreaterThan(4);
      // Gaps within clusters are seconds, though the agent makes fewer calls an hour than steady ones.
      expect(medianGap(persona)).toBeLessThan(60_000);
    }
  });

  it('has weekend work at some agents and none at others', () => {
    const weekendDaytime = (persona: RealisticPersona) =>
      historyOf(persona.agentId).filter(
        (e) =>
          localDay(persona, time(e)) >= 5 && !(persona.batch && e.session_id?.includes(persona.batch.name)),
      ).length;
    const workers = personas.filter((p) => p.weekendFactor > 0);
    const weekdayOnly = personas.filter((p) => p.weekendFactor === 0);
    expect(workers.length).toBeGreaterThanOrEqual(1);
    expect(weekdayOnly.length).toBeGreaterThanOrEqual(1);
    for (const persona of workers) expect(weekendDaytime(persona)).toBeGreaterThan(10);
    for (const persona of weekdayOnly) expect(weekendDaytime(persona)).toBe(0);
  });

  it('varies the rate with the hour of day', () => {
    for (const persona of personas.filter((p) => p.sessionStyle === 'steady')) {
      const counts = new Array<number>(24).fill(0);
      for (const e of historyOf(persona.agentId)) {
        if (persona.batch && e.session_id?.includes(persona.batch.name)) continue;
        counts[localHour(persona, time(e))]!++;
      }
      const [start, end] = persona.hours;
      const working = counts.slice(start, end);
      expect(Math.max(...working) / Math.min(...working)).toBeGreaterThan(1.4);
      const night = counts.slice(0, 5).reduce((a, b) => a + b, 0);
      expect(night).toBeLessThan(Math.max(...working));
    }
  });

  it('moves very different byte volumes by tool', () => {
    let checked = 0;
    for (const persona of personas) {
      const events = historyOf(persona.agentId);
      const http = events
        .filter((e) => e.tool_name === 'http_request')
        .map((e) => e.resource_usage.network_bytes!);
      const transfer = persona.tools.find((t) => t.kind === 'download' || t.kind === 'upload');
      if (!http.length || !transfer) continue;
      const large = events
        .filter((e) => e.tool_name === transfer.name)
        .map((e) => e.resource_usage.network_bytes!);
      expect(quantile(large, 0.5)).toBeGreaterThan(50 * quantile(http, 0.5));
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(3);
  });

  it('gives database and shell tools verbs', () => {
    const all = fleet.history.map((e) => e.event);
    const dbVerbs = new Set(all.filter((e) => e.event_type === 'database_query').map((e) => e.action));
    for (const verb of ['select', 'insert', 'update']) expect(dbVerbs.has(verb)).toBe(true);
    for (const verb of ['drop', 'delete', 'truncate']) expect(dbVerbs.has(verb)).toBe(false);
    const shell = all.filter((e) => e.event_type === 'command_exec');
    expect(new Set(shell.map((e) => e.action)).size).toBeGreaterThanOrEqual(5);
    expect(shell.every((e) => e.metadata?.command?.startsWith(e.action!))).toBe(true);
  });
});

describe('realistic regime: attacks', () => {
  const incidents = fleet.incidents ?? [];

  it('injects every attack class, labelled, at the agents named in incidents', () => {
    for (const label of ATTACK_CLASSES) {
      const events = of(label);
      expect(events.length, label).toBeGreaterThan(0);
      const agents = new Set(incidents.filter((i) => i.label === label).map((i) => i.agentId));
      expect(agents.size, label).toBeGreaterThan(0);
      for (const e of events) expect(agents.has(e.agentId)).toBe(true);
      expect(fleet.injected[label]).toBeDefined();
    }
    // With ten agents every attack has an agent of its own.
    expect(new Set(incidents.map((i) => i.agentId)).size).toBe(incidents.length);
    expect(incidents.filter((i) => i.label === 'daytime-burst')).toHaveLength(2);
  });

  it('strikes at ordinary working hours on weekdays', () => {
    for (const label of ATTACK_CLASSES) {
      for (const { agentId, event } of of(label)) {
        const persona = personaOf(agentId);
        expect(persona.hourProfile[localHour(persona, time(event))], label).toBeGreaterThanOrEqual(0.3);
        expect(localDay(persona, time(event)), label).toBeLessThan(5);
      }
    }
  });

  it('secret-read: a few reads of secrets inside directories the agent reads', () => {
    const events = of('secret-read');
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events.length).toBeLessThanOrEqual(5);
    const persona = personaOf(events[0]!.agentId);
    const readTool = persona.tools.find((t) => t.kind === 'read')!.name;
    const readDirectories = new Set(
      historyOf(persona.agentId)
        .filter((e) => e.tool_name === readTool)
        .map((e) => directory(e.file_path!)),
    );
    for (const { event } of events) {
      expect(event.tool_name).toBe(readTool);
      expect(persona.secrets.map((s) => s.path)).toContain(event.file_path);
      expect(readDirectories.has(directory(event.file_path!))).toBe(true);
      expect(historyOf(persona.agentId).some((e) => e.file_path === event.file_path)).toBe(false);
    }
  });

  it('secret locations cover the issue’s catalogue across roles', () => {
    const paths = generateFleet({ ...OPTIONS, agents: 6, historyDays: 2, liveDays: 2 }).personas.flatMap(
      (p) => (p as RealisticPersona).secrets.map((s) => s.path),
    );
    for (const pattern of [
      /\/\.env$/,
      /^\/etc\/shadow$/,
      /\/\.netrc$/,
      /\/\.ssh\/id_rsa$/,
      /\/\.aws\/credentials$/,
      /\/\.docker\/config\.json$/,
      /^\/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/token$/,
      /\/\.git-credentials$/,
      /google-chrome\/Default\/Login Data$/,
      /\.key$/,
    ]) {
      expect(
        paths.some((p) => pattern.test(p)),
        String(pattern),
      ).toBe(true);
    }
  });

  it('destructive-action: drop/delete/truncate via the agent’s own db tool, ordinary row counts', () => {
    const events = of('destructive-action');
    const persona = personaOf(events[0]!.agentId);
    const db = persona.tools.find((t) => t.kind === 'db')!;
    const rows = historyOf(persona.agentId)
      .filter((e) => e.tool_name === db.name)
      .map((e) => e.resource_count);
    for (const { event } of events) {
      expect(['drop', 'delete', 'truncate']).toContain(event.action);
      expect(event.tool_name).toBe(db.name);
      expect(event.destination_domain).toBe(db.destinations![0]);
      expect(event.resource_count).toBeLessThanOrEqual(quantile(rows, 0.99));
      expect(event.resource_count).toBeGreaterThanOrEqual(quantile(rows, 0.01));
    }
  });

  it('tool-volume-exfil: ~30x the http tool’s usual bytes sent, to a known destination, beside large transfers', () => {
    const events = of('tool-volume-exfil');
    const persona = personaOf(events[0]!.agentId);
    const history = historyOf(persona.agentId);
    const tool = events[0]!.event.tool_name;
    const sent = history.filter((e) => e.tool_name === tool).map((e) => e.resource_usage.bytes_sent!);
    const known = new Set(history.filter((e) => e.tool_name === tool).map((e) => e.destination_domain));
    const transfers = history.filter((e) => {
      const kind = persona.tools.find((t) => t.name === e.tool_name)?.kind;
      return kind === 'download' || kind === 'upload';
    });
    expect(transfers.length).toBeGreaterThan(20);
    const largest = Math.max(...events.map((e) => e.event.resource_usage.network_bytes!));
    expect(
      quantile(
        transfers.map((e) => e.resource_usage.network_bytes!),
        0.5,
      ),
    ).toBeGreaterThan(largest);
    for (const { event } of events) {
      expect(known.has(event.destination_domain)).toBe(true);
      expect(event.resource_usage.bytes_sent! / quantile(sent, 0.5)).toBeGreaterThan(15);
    }
  });

  it('spread-exfil: many ordinary-sized calls to one known destination within an hour', () => {
    const events = of('spread-exfil');
    expect(events.length).toBeGreaterThanOrEqual(40);
    const destination = events[0]!.event.destination_domain!;
    expect(events.every((e) => e.event.destination_domain === destination)).toBe(true);
    expect(time(events.at(-1)!.event) - time(events[0]!.event)).toBeLessThanOrEqual(60 * 60_000);
    const history = historyOf(events[0]!.agentId).filter((e) => e.tool_name === events[0]!.event.tool_name);
    expect(history.some((e) => e.destination_domain === destination)).toBe(true);
    const sent = history.map((e) => e.resource_usage.bytes_sent!);
    for (const { event } of events)
      expect(event.resource_usage.bytes_sent).toBeLessThanOrEqual(quantile(sent, 0.995));
    expect(
      quantile(
        events.map((e) => e.event.resource_usage.bytes_sent!),
        0.5,
      ),
    ).toBeLessThan(quantile(sent, 0.95));
    // What gives it away: bytes to that destination within the hour, against any hour of history.
    const hourly = new Map<number, number>();
    for (const e of history) {
      if (e.destination_domain !== destination) continue;
      const hour = Math.floor(time(e) / 3_600_000);
      hourly.set(hour, (hourly.get(hour) ?? 0) + e.resource_usage.bytes_sent!);
    }
    const total = events.reduce((s, e) => s + e.event.resource_usage.bytes_sent!, 0);
    expect(total).toBeGreaterThan(3 * Math.max(...hourly.values()));
    expect(total).toBeGreaterThan(30 * quantile([...hourly.values()], 0.5));
  });

  it('poisoned-destination: seeds planted in the last days of history, exfiltration to it live', () => {
    const events = of('poisoned-destination');
    const destination = events[0]!.event.destination_domain!;
    const seeds = fleet.history.filter((e) => e.label === 'poisoning-seed');
    expect(seeds.length).toBeGreaterThanOrEqual(3);
    expect(seeds.length).toBeLessThanOrEqual(4);
    for (const { agentId, event } of seeds) {
      expect(agentId).toBe(events[0]!.agentId);
      expect(event.destination_domain).toBe(destination);
      expect(fleet.liveStart - time(event)).toBeLessThanOrEqual(7 * 86_400_000);
      expect(event.tool_name).toBe(events[0]!.event.tool_name);
    }
    expect(seeds.some((e) => fleet.liveStart - time(e.event) <= 4 * 86_400_000)).toBe(true);
    const elsewhere = [...fleet.history, ...fleet.live].filter(
      (e) => e.event.destination_domain === destination && e.label === 'normal',
    );
    expect(elsewhere).toHaveLength(0);
    expect(events.length).toBeGreaterThanOrEqual(10);
  });

  it('new-destination-exfil: the same exfiltration to a domain nobody ever contacted', () => {
    const events = of('new-destination-exfil');
    const destination = events[0]!.event.destination_domain!;
    const uses = [...fleet.history, ...fleet.live].filter((e) => e.event.destination_domain === destination);
    expect(uses.every((e) => e.label === 'new-destination-exfil')).toBe(true);
    expect(events.length).toBeGreaterThanOrEqual(10);
  });

  it('daytime-burst: ~8x the usual daytime rate for 10+ minutes at steady agents, one with a batch job', () => {
    const bursts = incidents.filter((i) => i.label === 'daytime-burst');
    expect(bursts.some((b) => personaOf(b.agentId).batch)).toBe(true);
    for (const burst of bursts) {
      const persona = personaOf(burst.agentId);
      expect(persona.sessionStyle).toBe('steady');
      expect(burst.end - burst.start).toBeGreaterThanOrEqual(10 * 60_000);
      const events = of('daytime-burst').filter((e) => e.agentId === burst.agentId);
      expect(events).toHaveLength(burst.events);
      expect(time(events[0]!.event)).toBe(burst.start);
      const rate = events.length / ((burst.end - burst.start) / 3_600_000);
      expect(rate / burst.usualRate!).toBeGreaterThan(5);
      expect(rate / burst.usualRate!).toBeLessThan(12);
      // Ordinary calls: the agent's own tools.
      const tools = new Set(persona.tools.map((t) => t.name));
      expect(events.every((e) => tools.has(e.event.tool_name))).toBe(true);
    }
  });
});

describe('realistic regime: options', () => {
  it('injects only the attack classes asked for, and as many bursts as asked', () => {
    const small = generateFleet({
      regime: 'realistic',
      seed: 2,
      agents: 4,
      historyDays: 7,
      liveDays: 3,
      attacks: ['secret-read', 'daytime-burst'],
      bursts: 1,
      campaignAgents: 0,
    });
    expect(new Set(small.live.map((e) => e.label))).toEqual(
      new Set(['normal', 'secret-read', 'daytime-burst']),
    );
    expect(small.incidents).toHaveLength(2);
    expect(small.campaign).toBeUndefined();
    const none = generateFleet({
      regime: 'realistic',
      agents: 2,
      historyDays: 3,
      liveDays: 2,
      attacks: [],
      campaignAgents: 0,
    });
    expect(none.live.every((e) => e.label === 'normal')).toBe(true);
  });

  it('injects a campaign: several agents reach one never-seen domain with ordinary calls within an hour', () => {
    const fleet = generateFleet({ regime: 'realistic', seed: 4, agents: 6, historyDays: 7, liveDays: 3 });
    const campaign = fleet.campaign!;
    expect(campaign.agentIds).toHaveLength(3);
    const events = fleet.live.filter((e) => e.label === 'campaign');
    expect(events).toHaveLength(campaign.events);
    expect(new Set(events.map((e) => e.agentId))).toEqual(new Set(campaign.agentIds));
    expect(events.every((e) => e.event.destination_domain === campaign.destination)).toBe(true);
    expect(campaign.end - campaign.start).toBeLessThanOrEqual(3_600_000);
    // Never seen by any agent before.
    expect(fleet.history.some((e) => e.event.destination_domain === campaign.destination)).toBe(false);
    expect(
      fleet.live.some((e) => e.label !== 'campaign' && e.event.destination_domain === campaign.destination),
    ).toBe(false);
  });

  it('places every attack even on a tiny fleet, several per agent', () => {
    const tiny = generateFleet({ regime: 'realistic', seed: 9, agents: 3, historyDays: 7, liveDays: 4 });
    const steady = tiny.personas.some((p) => (p as RealisticPersona).sessionStyle === 'steady');
    const labels = new Set(
      tiny.live.filter((e) => e.label !== 'normal' && e.label !== 'campaign').map((e) => e.label),
    );
    expect(labels).toEqual(new Set(ATTACK_CLASSES.filter((label) => steady || label !== 'daytime-burst')));
    expect(new Set(tiny.incidents!.map((i) => i.agentId)).size).toBeLessThanOrEqual(3);
  });

  it('rejects options of the other regime, naming them', () => {
    expect(() => generateFleet({ regime: 'realistic', scenarios: ['call-burst'] })).toThrow(
      /scenarios: applies only/,
    );
    expect(() => generateFleet({ regime: 'realistic', benignChange: false })).toThrow(/benignChange/);
    expect(() => generateFleet({ attacks: ['secret-read'] })).toThrow(
      /attacks: applies only to regime 'realistic'/,
    );
    expect(() => generateFleet({ regime: 'realistic', attacks: ['nope' as 'secret-read'] })).toThrow(
      /attacks/,
    );
    expect(() => generateFleet({ regime: 'other' as 'classic' })).toThrow(/regime/);
  });
});
