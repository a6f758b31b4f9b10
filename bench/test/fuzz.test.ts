import { ValidationError } from '@harombe/models';
import { describe, expect, it } from 'vitest';
import { classify, plan, runSlice, Tally } from '../src/fuzz/harness.js';
import { FuzzRandom } from '../src/fuzz/random.js';
import { summarize } from '../src/fuzz/summarize.js';
import { TARGETS } from '../src/fuzz/targets.js';
import { everyTrapThrows } from '../src/fuzz/values.js';

const fast = { slowMs: 1000 };

describe('classifying a call', () => {
  it('calls a HarombeError typed and anything else untyped', async () => {
    const typed = await classify(() => {
      throw new ValidationError('event', [{ path: 'timestamp', code: 'invalid_type', message: 'missing' }]);
    }, fast);
    expect(typed.outcome).toBe('typed');

    const untyped = await classify(() => {
      throw new TypeError('x is undefined');
    }, fast);
    expect(untyped).toMatchObject({
      outcome: 'untyped',
      error: { name: 'TypeError', message: 'x is undefined' },
    });
    expect(untyped.error?.frame).toMatch(/fuzz\.test\.ts/);

    const plain = await classify(() => {
      throw new Error('plain');
    }, fast);
    expect(plain.outcome).toBe('untyped');

    const notAnError = await classify(() => {
      throw 'a string';
    }, fast);
    expect(notAnError).toMatchObject({ outcome: 'untyped', error: { name: 'non-Error throw (string)' } });
  });

  it('classifies rejected promises like throws, and awaits resolved ones', async () => {
    const rejected = await classify(() => Promise.reject(new RangeError('late')), fast);
    expect(rejected).toMatchObject({ outcome: 'untyped', error: { name: 'RangeError' } });
    expect((await classify(() => Promise.resolve(1), fast)).outcome).toBe('ok');
  });

  it('survives a thrown proxy whose every trap throws', async () => {
    const hostile = everyTrapThrows({}, new Error('trap'));
    const result = await classify(() => {
      throw hostile;
    }, fast);
    expect(result).toMatchObject({ outcome: 'untyped', error: { name: 'non-Error throw (Proxy)' } });
  });

  it('calls any throw of a never-throwing entry point untyped, typed or not', async () => {
    const result = await classify(
      () => {
        throw new ValidationError('event', []);
      },
      { ...fast, neverThrows: true },
    );
    expect(result.outcome).toBe('untyped');
  });

  it('calls a result the check objects to bad', async () => {
    const check = (score: unknown) => (score === 0.5 ? undefined : `score ${String(score)}`);
    expect((await classify(() => 0.5, { ...fast, check })).outcome).toBe('ok');
    expect(await classify(() => Number.NaN, { ...fast, check })).toMatchObject({
      outcome: 'bad',
      problem: 'score NaN',
    });
  });

  it('calls a call over the limit slow, measured with the given clock', async () => {
    const clock = (ms: number) => {
      const times = [0, ms];
      return () => times.shift() ?? ms;
    };
    expect(await classify(() => 1, { slowMs: 1000, now: clock(1500) })).toMatchObject({
      slow: true,
      ms: 1500,
    });
    expect(await classify(() => 1, { slowMs: 1000, now: clock(999) })).toMatchObject({ slow: false });
  });
});

describe('inputs', () => {
  it('are the same for the same seed, entry point and index, and differ otherwise', () => {
    const draw = (seed: number, stream: string, index: number) => {
      const r = new FuzzRandom(seed, stream, index);
      return [r.next(), r.next(), r.next()];
    };
    expect(draw(1, 'a', 7)).toEqual(draw(1, 'a', 7));
    expect(draw(1, 'a', 7)).not.toEqual(draw(1, 'a', 8));
    expect(draw(1, 'a', 7)).not.toEqual(draw(2, 'a', 7));
    expect(draw(1, 'a', 7)).not.toEqual(draw(1, 'b', 7));
  });

  it('are printed without running their getters or traps', () => {
    let reads = 0;
    const event = { timestamp: 1 } as Record<string, unknown>;
    Object.defineProperty(event, 'duration_ms', {
      enumerable: true,
      get: () => {
        reads++;
        return 5;
      },
    });
    event.self = event;
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const text = summarize([event, proxy, everyTrapThrows({}, new Error('trap'))]);
    expect(reads).toBe(0);
    expect(text).toContain('duration_ms: get [getter]');
    expect(text).toContain('<Proxy>');
    expect(text).toContain('shared or cyclic');
  });

  it('are split over the entry points by weight, to the exact total', () => {
    const counts = plan(TARGETS, 100_000);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(100_000);
    const parse = TARGETS.findIndex((t) => t.name === 'parseSecurityEvent');
    const load = TARGETS.findIndex((t) => t.name === 'FileModelStore.load');
    expect(counts[parse]! / counts[load]!).toBeCloseTo(TARGETS[parse]!.weight / TARGETS[load]!.weight, 1);
  });
});

describe('a fixed-seed slice of 2,000 inputs', () => {
  const names = [
    'parseSecurityEvent',
    'safeParseSecurityEvent',
    'ThreatDetector.assess',
    'IsolationForest.score',
    'IsolationForest.fromJSON',
    'BaselineLearner.detectAnomalies',
  ];
  const targets = TARGETS.filter((t) => names.includes(t.name));

  async function run(seed: number) {
    const counts = plan(targets, 2000);
    const tallies = new Map<string, Tally>();
    for (const [i, target] of targets.entries()) {
      const session = await target.open();
      const tally = new Tally();
      await runSlice(target, session, { seed, from: 0, to: counts[i]!, slowMs: 1000 }, tally);
      await session.close?.();
      tallies.set(target.name, tally);
    }
    return tallies;
  }

  it('reaches both the valid and the invalid paths of every entry point, the same way each run', async () => {
    const first = await run(3);
    let inputs = 0;
    for (const [name, { stats, groups }] of first) {
      inputs += stats.inputs;
      expect(stats.ok + stats.typed + stats.untyped + stats.bad + stats.hung, name).toBe(stats.inputs);
      // Hostile inputs that are all refused, or all accepted, would test only one path.
      expect(stats.ok, name).toBeGreaterThan(stats.inputs / 20);
      // (safeParse reports refusals in its result, never by throwing.)
      if (name !== 'safeParseSecurityEvent') expect(stats.typed, name).toBeGreaterThan(stats.inputs / 20);
      for (const group of groups.values()) {
        expect(group.example.input.startsWith(`${name}(`)).toBe(true);
        expect(group.example.index).toBeLessThan(stats.inputs);
      }
    }
    expect(inputs).toBe(2000);
    const again = await run(3);
    for (const [name, { stats }] of first) {
      const repeat = again.get(name)!.stats;
      expect([repeat.ok, repeat.typed, repeat.untyped, repeat.bad], name).toEqual([
        stats.ok,
        stats.typed,
        stats.untyped,
        stats.bad,
      ]);
    }
  }, 120_000);
});
