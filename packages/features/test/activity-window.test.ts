import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActivityWindow, type WindowEntry, type WindowStats } from '../src/activity-window.js';

const TOOLS = ['a', 'b', 'c', undefined];
const DESTINATIONS = ['x.example', 'y.example', undefined];

/** What the window must report, computed from scratch over the entries it should hold. */
function expected(held: readonly WindowEntry[], windowMs: number): WindowStats {
  const perHour = 3_600_000 / windowMs;
  const durations = held.map((e) => e.durationMs).filter((d) => !Number.isNaN(d));
  return {
    callsPerHour: held.length * perHour,
    toolInvocationsPerHour: held.filter((e) => e.tool !== undefined).length * perHour,
    errorsPerHour: held.filter((e) => e.failed).length * perHour,
    avgDurationMs: durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : 0,
    maxDurationMs: durations.length ? Math.max(...durations) : 0,
    uniqueTools: new Set(held.map((e) => e.tool).filter((t) => t !== undefined)).size,
    uniqueDestinations: new Set(held.map((e) => e.destination).filter((d) => d !== undefined)).size,
    fileOperations: held.filter((e) => e.fileOperation).length,
  };
}

const entry = fc.record({
  gapMs: fc.oneof(fc.nat(2_000), fc.nat(120_000)),
  durationMs: fc.oneof(fc.constant(Number.NaN), fc.integer({ min: 0, max: 5000 })),
  tool: fc.constantFrom(...TOOLS),
  destination: fc.constantFrom(...DESTINATIONS),
  failed: fc.boolean(),
  fileOperation: fc.boolean(),
});

describe('ActivityWindow', () => {
  it('holds exactly the newest entries within the window (at most capacity), as its ring grows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 600_000, max: 3_600_000 }),
        fc.array(entry, { minLength: 200, maxLength: 600 }),
        (capacity, windowMs, steps) => {
          const window = new ActivityWindow(windowMs, capacity);
          const all: WindowEntry[] = [];
          let time = 1_000_000;
          for (const step of steps) {
            time += step.gapMs;
            const added = { ...step, timeMs: time };
            window.add(added);
            all.push(added);
            const held = all.filter((e) => e.timeMs > time - windowMs).slice(-capacity);
            const stats = window.statsWith(undefined, {} as WindowStats);
            const want = expected(held, windowMs);
            expect(stats.avgDurationMs).toBeCloseTo(want.avgDurationMs, 6);
            expect({ ...stats, avgDurationMs: 0 }).toEqual({ ...want, avgDurationMs: 0 });
            expect(window.size).toBe(held.length);
          }
          expect(window.entries().map((e) => e.timeMs)).toEqual(
            all
              .filter((e) => e.timeMs > time - windowMs)
              .slice(-capacity)
              .map((e) => e.timeMs),
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});
