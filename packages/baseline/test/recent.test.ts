import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentHistory } from '../src/agent-history.js';

const MINUTE = 60_000;

describe('AgentHistory.recent', () => {
  it('counts the trailing hour and burst exactly, at, after and before the newest minute', () => {
    // Calls at minutes that mostly move forward (by 0 to 150 minutes), sometimes back; each probed
    // from 80 minutes before to 130 minutes after the newest minute, against a count of the calls.
    const call = fc.record({ step: fc.integer({ min: -70, max: 150 }), failed: fc.boolean() });
    fc.assert(
      fc.property(
        fc.integer({ min: 100_000, max: 30_000_000 }),
        fc.array(call, { maxLength: 60 }),
        fc.array(fc.integer({ min: -80, max: 130 }), { minLength: 1, maxLength: 6 }),
        (start, calls, probes) => {
          const history = new AgentHistory();
          const kept: { minute: number; failed: boolean }[] = [];
          let newest = Number.NEGATIVE_INFINITY;
          let minute = start;
          for (const { step, failed } of calls) {
            minute += step;
            // A call older than the hour before the newest one is not counted.
            if (minute > newest - 60) kept.push({ minute, failed });
            newest = Math.max(newest, minute);
            history.countRecent(minute * MINUTE + 1234, failed);
            for (const offset of probes) {
              const at = newest + offset;
              const held = kept.filter((c) => c.minute > newest - 60 && c.minute > at - 60 && c.minute <= at);
              const counts = history.recent(at * MINUTE + 59_000, 5);
              expect({ ...counts }).toEqual({
                events: held.length,
                failures: held.filter((c) => c.failed).length,
                burst: held.filter((c) => c.minute > at - 5).length,
              });
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
