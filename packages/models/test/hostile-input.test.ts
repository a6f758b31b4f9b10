import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  describeValue,
  ensureSecurityEvent,
  MAX_ARTIFACT_ITEMS,
  optionalFlag,
  parseEvents,
  parseOrThrow,
  readTagged,
  ValidationError,
} from '../src/index.js';

/** An object whose every trap throws, and one that throws something that is not an Error. */
const trapped = new Proxy(
  {},
  {
    get() {
      throw new TypeError('get trap');
    },
    getPrototypeOf() {
      throw new TypeError('prototype trap');
    },
    ownKeys() {
      throw new TypeError('keys trap');
    },
  },
);
const revocable = Proxy.revocable({}, {});
revocable.revoke();
const hostile = [
  trapped,
  revocable.proxy,
  {
    get x(): never {
      throw 42;
    },
  },
];

describe('input that throws when it is read', () => {
  it('is a ValidationError from parseOrThrow, whatever it throws (the issues are built in the guard too)', () => {
    const schema = z.object({ x: z.number() }).strict();
    for (const input of hostile) {
      expect(() => parseOrThrow(schema, input, 'options')).toThrow(ValidationError);
    }
    expect(() => parseOrThrow(z.string(), trapped, 'agentId')).toThrow(/agentId/);
  });

  it('is a ValidationError from ensureSecurityEvent and parseEvents (holes included), naming the index', () => {
    for (const input of hostile) expect(() => ensureSecurityEvent(input)).toThrow(ValidationError);
    // biome-ignore lint/suspicious/noSparseArray: a hole is what is tested
    const withHole = [{ timestamp: 0, event_type: 'x' }, , { timestamp: 0, event_type: 'x' }];
    expect(() => parseEvents(withHole)).toThrow(/events\[1\]/);
    expect(() => parseEvents(revocable.proxy)).toThrow(ValidationError);
  });

  it('an absent or hostile options object: the default, or a ValidationError naming the option', () => {
    expect(optionalFlag(null, 'learn', 'record options')).toBeUndefined();
    expect(optionalFlag({ learn: false }, 'learn', 'record options')).toBe(false);
    expect(() => optionalFlag(trapped, 'learn', 'record options')).toThrow(/record options\.learn/);
    expect(() => optionalFlag({ learn: 'no' }, 'learn', 'record options')).toThrow(/expected a boolean/);
  });

  it('describeValue never throws', () => {
    expect(describeValue(trapped)).toBe('an unreadable value');
    expect(describeValue(Symbol('s'))).toBe('a symbol');
  });
});

describe('readTagged', () => {
  const spec = {
    format: 'harombe.test',
    version: 1,
    schema: z.object({ format: z.string(), version: z.number(), items: z.array(z.tuple([z.string()])) }),
    fail: (problem: string, message: string) =>
      new ValidationError('artifact', [{ path: '', code: problem, message }]),
  };

  it('refuses a list longer than MAX_ARTIFACT_ITEMS before the schema walks it (a sparse array of holes took seconds)', () => {
    const error = (() => {
      try {
        readTagged({ format: 'harombe.test', version: 1, items: new Array(200_000) }, spec);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    // Refused by its length, not by the schema's first complaint about a hole.
    expect((error as Error).message).toContain(`200000 items, at most ${MAX_ARTIFACT_ITEMS}`);
  });

  it('refuses a list with holes at its first hole, before the schema (which reported each of 82,000 holes)', () => {
    const items: [string][] = [['a'], ['b']];
    items.length = 82_000;
    // Our message, not the schema's complaint about an undefined item.
    expect(() => readTagged({ format: 'harombe.test', version: 1, items }, spec)).toThrow(
      'field "items.2": no value (a hole in the list)',
    );
    // The same list without its holes is read.
    items.length = 2;
    expect(readTagged({ format: 'harombe.test', version: 1, items }, spec).items).toEqual([['a'], ['b']]);
  });

  it('looks at shared references once, and turns a hostile artifact into its own typed error', () => {
    let node: unknown = ['leaf'];
    for (let level = 0; level < 8; level++) node = Array.from({ length: 40 }, () => node);
    expect(() => readTagged({ format: 'harombe.test', version: 1, items: node }, spec)).toThrow(
      ValidationError,
    );
    expect(() => readTagged(trapped, spec)).toThrow(/could not be read/);
  });
});
