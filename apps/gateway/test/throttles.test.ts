import { describe, expect, it } from 'vitest';
import { Throttles } from '../src/throttles.js';

const PERIOD = 60_000;

/** Notes a call at `at` and reports it as a state anomaly: the pause it sets, in ms (0: an echo). */
function anomalousCall(throttles: Throttles, at: number): number {
  throttles.noteCall('a', at);
  return throttles.stateAnomaly('a', at);
}

describe('the throttle book', () => {
  it('pauses an agent for one period on the first state anomaly, and not before', () => {
    const throttles = new Throttles(PERIOD);
    expect(throttles.remainingMs('a', 0)).toBe(0);
    expect(anomalousCall(throttles, 0)).toBe(PERIOD);
    expect(throttles.remainingMs('a', 15_000)).toBe(45_000);
    expect(throttles.remainingMs('a', PERIOD)).toBe(0);
    expect(throttles.remainingMs('b', 15_000)).toBe(0);
  });

  it('lets the echoes of a served pause through, and pauses again at the pace of the burst that was paused', () => {
    const throttles = new Throttles(PERIOD);
    // A burst of four calls within ten seconds; the fourth is the anomaly.
    for (const at of [0, 3_000, 6_000]) throttles.noteCall('a', at);
    expect(anomalousCall(throttles, 9_000)).toBe(PERIOD);
    // After the pause the windows still hold the burst: a call every 20 s is an echo, not a new burst.
    const resume = 9_000 + PERIOD;
    for (let i = 0; i < 6; i++) expect(anomalousCall(throttles, resume + i * 20_000)).toBe(0);
    // Four calls within a period again: paused again.
    const again = resume + 200_000;
    expect([0, 2_000, 4_000, 6_000].map((d) => anomalousCall(throttles, again + d))).toEqual([
      0,
      0,
      0,
      PERIOD,
    ]);
  });

  it('starts afresh once the state was ordinary again', () => {
    const throttles = new Throttles(PERIOD);
    for (const at of [0, 1_000, 2_000, 3_000, 4_000]) throttles.noteCall('a', at);
    expect(throttles.stateAnomaly('a', 4_000)).toBe(PERIOD);
    throttles.endEpisode('a');
    // A lone anomalous call long after: a new episode, paused at once.
    expect(anomalousCall(throttles, 3_600_000)).toBe(PERIOD);
  });
});
