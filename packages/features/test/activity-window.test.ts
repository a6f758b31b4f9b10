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

/** Adds the steps one by one; after each, the window must match a from-scratch computation. */
function replay(
  capacity: number,
  windowMs: number,
  steps: ReadonlyArray<Omit<WindowEntry, 'timeMs'> & { gapMs: number }>,
): void {
  const window = new ActivityWindow(windowMs, capacity);
  const all: WindowEntry[] = [];
  let time = 1_000_000;
  for (const { gapMs, ...step } of steps) {
    time += gapMs;
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
  const held = all.filter((e) => e.timeMs > time - windowMs).slice(-capacity);
  expect(window.entries()).toEqual(held);
}

describe('ActivityWindow', () => {
  it('holds exactly the newest entries within the window (at most capacity), as its ring grows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 600_000, max: 3_600_000 }),
        fc.array(entry, { minLength: 200, maxLength: 600 }),
        replay,
      ),
      { numRuns: 60 },
    );
  });

  it('counts distinct tools and destinations right while many values come and go (ids renumbered)', () => {
    // Hundreds of distinct values through a small window: ids of values gone are dropped repeatedly.
    const many = fc.record({
      gapMs: fc.nat(60_000),
      durationMs: fc.integer({ min: 0, max: 5000 }),
      tool: fc.option(
        fc.nat(300).map((n) => `tool-${n}`),
        { nil: undefined },
      ),
      destination: fc.option(
        fc.nat(2000).map((n) => `host-${n}.example`),
        { nil: undefined },
      ),
      failed: fc.boolean(),
      fileOperation: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(many, { minLength: 400, maxLength: 1200 }),
        (capacity, steps) => replay(capacity, 600_000, steps),
      ),
      { numRuns: 25 },
    );
  });
});
