import { describe, expect, it } from 'vitest';
import { FleetVocabulary, MAX_USERS } from '../src/fleet-vocabulary.js';
import { BaselineLearner } from '../src/index.js';
import { stream } from './random.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MONDAY = Date.UTC(2026, 1, 2);
const AGENTS = ['a1', 'a2', 'a3', 'a4'];
/** Monday of the fourth week, mid-morning: after every agent's history. */
const LIVE = MONDAY + 22 * DAY + 11 * HOUR;

type Raw = { timestamp: number; destination_domain: string } & Record<string, unknown>;

const get = (timestamp: number, domain: string): Raw => ({
  timestamp,
  event_type: 'tool_call',
  tool_name: 'http_get',
  destination_domain: domain,
  resource_usage: { network_bytes: 20_000 },
});

/**
 * 21 days of each agent: 40 calls a day to its API, 15% of them to a domain of a pool the fleet
 * shares (30 domains) or to one of its own; a2-a4 also reach common.example.org on day 10.
 * Agents' calls are minutes apart, never at the same time.
 */
function fleetHistory(): Map<string, Raw[]> {
  const out = new Map<string, Raw[]>();
  AGENTS.forEach((agent, index) => {
    const random = stream(17 + index);
    const events: Raw[] = [];
    let own = 0;
    for (let d = 0; d < 21; d++) {
      for (let k = 0; k < 40; k++) {
        const at = MONDAY + d * DAY + 9 * HOUR + k * 10 * MINUTE + index * MINUTE;
        const pick = random();
        const domain =
          pick < 0.85
            ? 'api.example.com'
            : pick < 0.93
              ? `shared-${Math.floor(random() * 30)}.example.org`
              : `${agent}-${own++}.private.example`;
        events.push(get(at, domain));
      }
      if (d === 10 && agent !== 'a1')
        events.push(get(MONDAY + d * DAY + 18 * HOUR + index * MINUTE, 'common.example.org'));
    }
    out.set(agent, events);
  });
  return out;
}

function train(order: readonly string[], histories = fleetHistory()): BaselineLearner {
  const learner = new BaselineLearner();
  for (const agent of order) for (const event of histories.get(agent)!) learner.recordEvent(agent, event);
  return learner;
}

/**
 * The fleet factor recounted from the events themselves: every first use of a domain by an agent
 * after its first week is a meeting, ranked by how many other agents used the domain before it.
 */
function recountedFactor(histories: Map<string, Raw[]>, others: number): number {
  const first = new Map<string, Map<string, number>>();
  const start = new Map<string, number>();
  for (const [agent, events] of histories) {
    start.set(agent, events[0]!.timestamp);
    for (const e of events) {
      const users = first.get(e.destination_domain) ?? new Map<string, number>();
      if (!users.has(agent)) users.set(agent, e.timestamp);
      first.set(e.destination_domain, users);
    }
  }
  let meetings = 0;
  let atMost = 0;
  for (const users of first.values()) {
    for (const [agent, t] of users) {
      if (t - start.get(agent)! < 7 * DAY) continue;
      meetings++;
      const rank = [...users].filter(([other, u]) => other !== agent && u < t).length;
      if (rank <= others) atMost++;
    }
  }
  expect(meetings).toBeGreaterThanOrEqual(20);
  return (atMost + 0.5) / (meetings + 1);
}

describe('fleet prevalence', () => {
  const histories = fleetHistory();
  const learner = train(AGENTS, histories);
  const novelty = (l: BaselineLearner, agent: string, domain: string) =>
    l.tailProbabilities(agent, get(LIVE, domain))!.novelty;

  it('a domain no agent uses is rarer than one the fleet uses, by the rate of such first meetings', () => {
    const nobody = novelty(learner, 'a1', 'nobody.example');
    const common = novelty(learner, 'a1', 'common.example.org');
    expect(nobody).toBeLessThan(common);
    expect(nobody / common).toBeCloseTo(recountedFactor(histories, 0) / recountedFactor(histories, 3), 12);
    expect(learner.describeBehaviour('a1', get(LIVE, 'common.example.org'), 'novelty')).toMatch(
      /^destination common\.example\.org, first contacted, used by 3 other agents \(http_get meets a new destination in [0-9.]+% of calls\)$/,
    );
    expect(learner.describeBehaviour('a1', get(LIVE, 'nobody.example'), 'novelty')).toMatch(
      /, used by no other agent \(/,
    );
  });

  it('does not depend on the order the agents were trained in', () => {
    const reversed = train([...AGENTS].reverse(), histories);
    for (const domain of [
      'nobody.example',
      'common.example.org',
      'shared-3.example.org',
      'a2-0.private.example',
    ])
      expect(reversed.tailProbabilities('a1', get(LIVE, domain))).toEqual(
        learner.tailProbabilities('a1', get(LIVE, domain)),
      );
  });

  it('counts the agents the learner holds: one deleted leaves, restored it counts again', () => {
    const copy = train(AGENTS, histories);
    const saved = copy.exportAgent('a2');
    const before = novelty(copy, 'a1', 'common.example.org');
    copy.deleteAgent('a2');
    expect(copy.describeBehaviour('a1', get(LIVE, 'common.example.org'), 'novelty')).toMatch(
      /used by 2 other agents/,
    );
    copy.importAgent('a2', saved);
    expect(novelty(copy, 'a1', 'common.example.org')).toBe(before);
    // Alone, an agent's novelty is its own rate: no factor.
    const alone = train(['a1'], histories);
    expect(novelty(alone, 'a1', 'nobody.example')).toBe(novelty(alone, 'a1', 'a4-0.private.example'));
  });

  it('a domain only sighted (judged unusual, not learned) does not count as used', () => {
    const copy = train(AGENTS, histories);
    // Minutes after each agent's last call (not held ahead of its clock).
    const lastDay = MONDAY + 20 * DAY + 15 * HOUR + 45 * MINUTE;
    copy.recordEvent('a2', get(lastDay, 'evil.example'), { learn: false });
    expect(novelty(copy, 'a1', 'evil.example')).toBe(novelty(copy, 'a1', 'nobody.example'));
    copy.recordEvent('a3', get(lastDay, 'fine.example'));
    expect(novelty(copy, 'a1', 'fine.example')).toBeGreaterThan(novelty(copy, 'a1', 'nobody.example'));
  });
});

describe('FleetVocabulary', () => {
  it('keeps its first-meeting ranks equal to a recount through adds, moves and removals', () => {
    const random = stream(5);
    const fleet = new FleetVocabulary();
    const agents = Array.from({ length: 40 }, (_, i) => `agent-${i}`);
    const values = Array.from({ length: 6 }, (_, i) => `v${i}`);
    for (let step = 0; step < 4000; step++) {
      const agent = agents[Math.floor(random() * agents.length)]!;
      const value = values[Math.floor(random() * values.length)]!;
      if (random() < 0.7) fleet.add('destination', value, agent, Math.floor(random() * 1000), random() < 0.6);
      else fleet.remove('destination', value, agent);
      if (step % 97 !== 0) continue;
      const recount = new Array(9).fill(0);
      for (const [, users] of fleet.users('destination')) {
        expect(users.length).toBeLessThanOrEqual(MAX_USERS);
        expect(new Set(users.map((u) => u.agent)).size).toBe(users.length);
        users.forEach((user, rank) => {
          if (user.meeting) recount[Math.min(rank, 8)]++;
        });
      }
      expect(fleet.meetingRanks('destination')).toEqual(recount);
    }
    expect(fleet.size('destination')).toBe(values.length);
  });

  it('counts users before a time, except the asking agent', () => {
    const fleet = new FleetVocabulary();
    fleet.add('place', '/srv/app', 'a', 100, false);
    fleet.add('place', '/srv/app', 'b', 200, true);
    fleet.add('place', '/srv/app', 'c', 300, true);
    expect(fleet.others('place', '/srv/app', 'a', 250)).toBe(1);
    expect(fleet.others('place', '/srv/app', 'd', 1000)).toBe(3);
    expect(fleet.others('place', '/srv/app', 'b', 1000)).toBe(2);
    expect(fleet.meetingRanks('place').slice(0, 3)).toEqual([0, 1, 1]);
    // Too few first meetings to judge by.
    expect(fleet.factor('place', 0)).toBe(1);
    expect(fleet.agentCount).toBe(3);
    fleet.remove('place', '/srv/app', 'a');
    expect(fleet.meetingRanks('place').slice(0, 3)).toEqual([1, 1, 0]);
    expect(fleet.agentCount).toBe(2);
  });
});
