import type { ThreatAssessment } from '@harombe/security-ml';
import { describe, expect, it } from 'vitest';
import { OpenIncidents } from '../src/open-incidents.js';

const verdict = (isThreat: boolean) => ({ isThreat }) as ThreatAssessment;
const MINUTE = 60_000;

describe('the gateway’s stand-in for open incidents', () => {
  it('holds an agent’s incident open for the window after its last threat verdict', () => {
    const incidents = new OpenIncidents(60 * MINUTE);
    expect(incidents.openBefore('a', verdict(true), 0)).toBe(false);
    expect(incidents.openBefore('a', verdict(false), 30 * MINUTE)).toBe(true);
    expect(incidents.openBefore('b', verdict(false), 30 * MINUTE)).toBe(false);
    // A later threat keeps it open from its own time.
    expect(incidents.openBefore('a', verdict(true), 50 * MINUTE)).toBe(true);
    expect(incidents.openBefore('a', verdict(false), 100 * MINUTE)).toBe(true);
    expect(incidents.openBefore('a', verdict(false), 111 * MINUTE)).toBe(false);
  });
});
