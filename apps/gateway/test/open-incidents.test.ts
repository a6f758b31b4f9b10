import { MemoryModelStore, ThreatDetector } from '@harombe/security-ml';
import { describe, expect, it } from 'vitest';
import { OpenIncidents } from '../src/open-incidents.js';

const MINUTE = 60_000;
const DAY = 1_440 * MINUTE;
const start = Date.UTC(2026, 1, 2);

/** A detector that knows agents `a` and `b`: four weekday weeks of ordinary reads, 09-16 UTC. */
function trained(): ThreatDetector {
  const threats = new ThreatDetector({ store: new MemoryModelStore(), seed: 3 });
  const history = [];
  for (let day = 0; day < 28; day++) {
    if (day % 7 >= 5) continue;
    for (let m = 9 * 60; m < 16 * 60; m += 10) {
      history.push({
        timestamp: start + day * DAY + m * MINUTE,
        event_type: 'tool_call',
        tool_name: 'read_file',
        resource_count: 2,
        duration_ms: 150,
      });
    }
  }
  threats.train('a', history);
  threats.train('b', history);
  return threats;
}

const ordinary = (at: number) => ({
  timestamp: at,
  event_type: 'tool_call',
  tool_name: 'read_file',
  resource_count: 2,
  duration_ms: 150,
});
const odd = (at: number) => ({
  timestamp: at,
  event_type: 'command_exec',
  tool_name: 'shell',
  resource_count: 400,
  duration_ms: 90_000,
  success: false,
});

describe('open incidents, from the detector', () => {
  it('holds an agent’s incident open for the window after its last alert, in event time', () => {
    const threats = trained();
    const incidents = new OpenIncidents(threats, 60 * MINUTE);
    const t0 = start + 29 * DAY + 10 * 60 * MINUTE; // a Tuesday, 10:00
    const first = threats.assess('a', odd(t0));
    expect(first.incident?.opened).toBe(true);
    // The call that opened it had none open before it.
    expect(incidents.openBefore('a', first)).toBe(false);
    expect(incidents.openBefore('b', threats.assess('b', ordinary(t0 + 30 * MINUTE)))).toBe(false);
    // The agent goes on with its ordinary calls, one every 10 minutes; the first of them may join the
    // incident as echoes of the failure still in the hour. Each call sees the incident open exactly
    // while it is within the window of the incident's last alert before it.
    const open: [number, boolean][] = [];
    for (let at = t0 + 10 * MINUTE; at <= t0 + 4 * 60 * MINUTE; at += 10 * MINUTE) {
      const assessment = threats.assess('a', ordinary(at));
      open.push([at, incidents.openBefore('a', assessment)]);
    }
    const [incident] = threats.incidents({ agentId: 'a' });
    const last = incident!.lastSeen.getTime();
    expect(last).toBeLessThan(t0 + 2 * 60 * MINUTE);
    for (const [at, isOpen] of open)
      expect(isOpen, `${(at - t0) / MINUTE} min`).toBe(at - last <= 60 * MINUTE);
    expect(open.filter(([, isOpen]) => isOpen).length).toBeGreaterThan(3);
    expect(open.filter(([, isOpen]) => !isOpen).length).toBeGreaterThan(3);
  });

  it('does not count a resolved incident', () => {
    const threats = trained();
    const incidents = new OpenIncidents(threats, 60 * MINUTE);
    const t0 = start + 29 * DAY + 10 * 60 * MINUTE;
    const first = threats.assess('a', odd(t0));
    threats.resolveIncident(first.incident!.id);
    expect(incidents.openBefore('a', threats.assess('a', ordinary(t0 + 5 * MINUTE)))).toBe(false);
  });
});
