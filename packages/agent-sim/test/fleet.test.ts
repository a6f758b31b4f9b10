import { LocalClock, parseSecurityEvent } from '@harombe/models';
import { describe, expect, it } from 'vitest';
import { generateFleet, SCENARIOS, toJsonl } from '../src/index.js';

const fleet = generateFleet({ seed: 3, agents: 10, historyDays: 14, liveDays: 7 });
const personaOf = (agentId: string) => fleet.personas.find((p) => p.agentId === agentId)!;

describe('generateFleet', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const again = generateFleet({ seed: 3, agents: 10, historyDays: 14, liveDays: 7 });
    expect(toJsonl(again.live)).toBe(toJsonl(fleet.live));
    expect(toJsonl(generateFleet({ seed: 4, agents: 10, historyDays: 14, liveDays: 7 }).live)).not.toBe(
      toJsonl(fleet.live),
    );
  });

  it('produces valid SecurityEvents in time order, history before live', () => {
    for (const list of [fleet.history, fleet.live]) {
      let last = 0;
      for (const { event } of list) {
        const parsed = parseSecurityEvent(event);
        expect(parsed.timestamp.getTime()).toBeGreaterThanOrEqual(last);
        last = parsed.timestamp.getTime();
      }
    }
    expect(Date.parse(fleet.history.at(-1)!.event.timestamp)).toBeLessThan(fleet.liveStart + 86_400_000);
    expect(fleet.history.every((e) => e.label === 'normal')).toBe(true);
  });

  it('keeps ordinary activity inside each persona’s local working hours and days', () => {
    for (const { agentId, event } of fleet.history) {
      const persona = personaOf(agentId);
      const clock = new LocalClock(persona.timeZone);
      const ms = Date.parse(event.timestamp);
      const hour = Math.floor(clock.hourOfDay(ms));
      expect(hour).toBeGreaterThanOrEqual(persona.hours[0]);
      expect(hour).toBeLessThan(persona.hours[1]);
      if (persona.weekdaysOnly) expect(clock.dayOfWeek(ms)).toBeLessThan(5);
    }
  });

  it('injects every attack scenario into its own agent, labelled', () => {
    const agents = new Set<string>();
    for (const scenario of SCENARIOS) {
      const events = fleet.live.filter((e) => e.label === scenario);
      expect(events.length, scenario).toBeGreaterThan(0);
      expect(new Set(events.map((e) => e.agentId)).size).toBe(1);
      agents.add(events[0]!.agentId);
      expect(fleet.injected[scenario]).toBe(events[0]!.agentId);
    }
    expect(agents.size).toBe(SCENARIOS.length);
  });

  it('shapes each scenario as described', () => {
    const of = (label: string) => fleet.live.filter((e) => e.label === label);
    const exfil = of('off-hours-exfiltration');
    const exfilClock = new LocalClock(personaOf(exfil[0]!.agentId).timeZone);
    for (const { event } of exfil) {
      expect(Math.floor(exfilClock.hourOfDay(Date.parse(event.timestamp)))).toBe(2);
      expect(event.destination_domain).toBe('drop.exfil-storage.net');
    }
    expect(of('new-tool-shell').every((e) => e.event.tool_name === 'shell_execute')).toBe(true);
    expect(of('failure-storm').filter((e) => !e.event.success).length).toBeGreaterThanOrEqual(36);
    const weekend = of('weekend-activity');
    const weekendClock = new LocalClock(personaOf(weekend[0]!.agentId).timeZone);
    expect(personaOf(weekend[0]!.agentId).weekdaysOnly).toBe(true);
    for (const { event } of weekend)
      expect(weekendClock.dayOfWeek(Date.parse(event.timestamp))).toBeGreaterThanOrEqual(5);
    expect(of('mass-file-reads').every((e) => /^\/(etc|root|var|home)/.test(e.event.file_path ?? ''))).toBe(
      true,
    );
    const burst = of('call-burst');
    expect(
      Date.parse(burst.at(-1)!.event.timestamp) - Date.parse(burst[0]!.event.timestamp),
    ).toBeLessThanOrEqual(10 * 60_000);
  });

  it('adds a benign change: a new tool used for good from the second live day', () => {
    const benign = fleet.live.filter((e) => e.label === 'benign-change');
    expect(benign.length).toBeGreaterThan(20);
    expect(benign.every((e) => e.event.tool_name === 'report_export')).toBe(true);
    expect(fleet.history.some((e) => e.event.tool_name === 'report_export')).toBe(false);
  });

  it('writes JSONL with one labelled event per line', () => {
    const text = toJsonl(fleet.live.slice(0, 5));
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(JSON.parse(lines[0]!)).toMatchObject({ agent_id: fleet.live[0]!.agentId, label: 'normal' });
    expect(JSON.parse(toJsonl(fleet.live.slice(0, 1), false).trim()).label).toBeUndefined();
  });

  it('validates its options', () => {
    expect(() => generateFleet({ agents: 0 })).toThrow('agents');
  });
});

describe('generateFleet with personas of one’s own', () => {
  const persona = {
    agentId: 'night-bot',
    role: 'ops',
    timeZone: 'Asia/Tokyo',
    hours: [22, 24] as [number, number],
    weekdaysOnly: false,
    callsPerHour: 6,
    errorRate: 0,
    tools: [
      {
        name: 'read_file',
        eventType: 'file_operation',
        weight: 1,
        durationMedianMs: 20,
        durationSigma: 0.2,
        resourceCount: [1, 1] as [number, number],
        directories: ['logs'],
      },
    ],
  };

  it('simulates exactly those agents, their tools, directories and local hours', () => {
    const fleet = generateFleet({ personas: [persona], historyDays: 7, liveDays: 1, scenarios: [] });
    expect(fleet.personas.map((p) => p.agentId)).toEqual(['night-bot']);
    expect(fleet.history.length).toBeGreaterThan(40);
    for (const { event } of fleet.history) {
      expect(event.tool_name).toBe('read_file');
      expect(event.file_path).toMatch(/^logs\/file-\d+\.txt$/);
      const tokyoHour = (new Date(event.timestamp).getUTCHours() + 9) % 24;
      expect(tokyoHour).toBeGreaterThanOrEqual(22);
      expect(event.success).toBe(true);
    }
  });

  it('rejects duplicate agent ids and impossible hours, naming the field', () => {
    expect(() => generateFleet({ personas: [persona, persona] })).toThrow(/personas: every persona/);
    expect(() => generateFleet({ personas: [{ ...persona, hours: [9, 9] }] })).toThrow(/hours/);
  });
});
