// Hostile JavaScript values, built structurally: every kind of thing a caller (careless or
// malicious) can hand an API that expects plain data. Values whose nature a printout cannot show
// (proxies, throwing getters, fake dates, huge shared structures) are labelled, so a finding's
// reproducer says what the input was without touching it again.
import type { FuzzRandom } from './random.js';

const labels = new WeakMap<object, string>();

/** Remembers how to describe `value` (read by `summarize`, which never runs a getter or a trap). */
export function labelled<T extends object>(value: T, label: string): T {
  labels.set(value, label);
  return value;
}

export function labelOf(value: object): string | undefined {
  return labels.get(value);
}

const highlights = new WeakMap<object, string[]>();

/** Marks the keys (or indices) of `value` the generator changed: printouts show them first. */
export function highlight<T extends object>(value: T, keys: readonly (string | number)[]): T {
  highlights.set(value, [...(highlights.get(value) ?? []), ...keys.map(String)]);
  return value;
}

export function highlightsOf(value: object): readonly string[] {
  return highlights.get(value) ?? [];
}

/** Sizes are bounded so that an implementation linear in its input finishes well under a second. */
export const LIMITS = {
  /** Longest generated string (characters). */
  string: 1_000_000,
  /** Most elements of a dense array, keys of an object, values of a typed array. */
  wide: 100_000,
  /** Length of a sparse array (its elements mostly holes). */
  sparse: 1_000_000,
  /** Deepest nesting of arrays or objects (deep enough to overflow any recursive walk). */
  deep: 100_000,
  /** Levels of a shared-reference DAG: 2^depth paths, a few hundred objects. */
  dag: 40,
} as const;

export const HOSTILE_NUMBERS: readonly number[] = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.EPSILON,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  Number.MIN_SAFE_INTEGER,
  2 ** 31,
  2 ** 31 - 1,
  2 ** 32,
  2 ** 32 - 1,
  2 ** 53,
  2 ** 64,
  1e21,
  1e308,
  1e-308,
  8.64e15,
  8.64e15 + 1,
  -8.64e15,
  -8.64e15 - 1,
  255,
  256,
  65_535,
  65_536,
  100_000,
  1_000_000,
  1e9,
  1767225600000, // 2026-01-01T00:00:00Z: a plausible epoch-ms timestamp
];

/** Strings that look like a number, a date, a path, a key or a secret, or that break text handling. */
const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  'a',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDC00x\uD800',
  '\uFEFF',
  '\u202Egnp.exe',
  '\u200B',
  'é',
  'e\u0301',
  '💥',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'then',
  '../../etc/passwd',
  '..\\..\\windows\\system32',
  'C:\\Windows\\win.ini',
  '/',
  '//',
  '/dev/zero',
  '\\\\?\\C:\\x',
  '%2e%2e%2f',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '0x10',
  ' 42 ',
  'true',
  'null',
  'undefined',
  '{}',
  '[]',
  '2026-03-01T09:30:00Z',
  '2026-03-01T09:30:00.000+14:00',
  '2026-02-30T00:00:00Z',
  '2026-03-01T25:00:00Z',
  '2026-13-01T00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  '+275760-09-13T00:00:00.001Z',
  '-271821-04-20T00:00:00.000Z',
  '-271821-04-19T23:59:59.999Z',
  '1970-01-01',
  '0000-00-00T00:00:00Z',
  'Mon, 05 Jan 2026 09:00:00 GMT',
  '1767225600000',
  'http://x!y/',
  'http://[::1]:99999/',
  'http://a@b@c.example/',
  'http://user:hunter2@example.com/x',
  '//evil.example/x',
  'https://EXAMPLE.com./',
  'http://0x7f.1/',
  'http://[fe80::1%25eth0]/',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'mailto:a@b.c',
  'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z',
  '1.2.3.4',
  '999.999.999.999',
  '::ffff:1.2.3.4',
  'AKIAIOSFODNN7EXAMPLE',
  'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD',
  'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
  'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
  '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----',
  '4111 1111 1111 1111',
  'password=hunter2&user=x',
  'line1\nline2\r\nline3',
  '"quoted"',
  "it's",
  '<script>',
  '$' + '{x}', // template-injection text, spelled so that it is not a template
  '%s%s%s%n',
  'SELECT * FROM events; DROP TABLE events;--',
  '[REDACTED:secret]',
];

/** Characters for random text: ASCII, separators, and code points that are hard on text handling. */
const CHARS = 'abcXYZ019 ._-/\\:@?#=&%+~\u0000\n\t"\'\u00e9\u4e2d\uD83D\uDCA5\uD800\u202E';

export function hostileNumber(r: FuzzRandom): number {
  const choice = r.int(10);
  if (choice < 6) return r.pick(HOSTILE_NUMBERS);
  if (choice < 8) return r.int(1_000_000) * (r.chance(0.2) ? -1 : 1);
  return (r.next() - 0.2) * 10 ** r.int(20);
}

export function randomText(r: FuzzRandom, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += CHARS[r.int(CHARS.length)];
  return text;
}

/** A long string: a random chunk repeated (building a million random characters one by one is slow). */
export function longString(r: FuzzRandom): string {
  const length = r.size(300, LIMITS.string);
  const chunk = r.chance(0.5) ? r.pick(HOSTILE_STRINGS) || 'x' : randomText(r, 1 + r.int(40));
  return chunk.repeat(Math.ceil(length / chunk.length)).slice(0, length);
}

export function hostileString(r: FuzzRandom): string {
  const choice = r.int(10);
  if (choice < 6) return r.pick(HOSTILE_STRINGS);
  if (choice < 8) return randomText(r, 1 + r.int(30));
  return longString(r);
}

const thrownObjects = new WeakSet<object>();
const THROWN_STRING = 'fuzz: a thrown string';
const THROWN_SYMBOL = 'fuzz thrown symbol';

/**
 * Whether `value` is one the fuzzer's getters and traps throw: then a call that throws it let the
 * input's own exception through instead of reporting the input as invalid.
 */
export function isThrownByInput(value: unknown): boolean {
  if (typeof value === 'object' && value !== null) return thrownObjects.has(value);
  if (typeof value === 'symbol') return value.description === THROWN_SYMBOL;
  return value === undefined || value === null || value === 42 || value === THROWN_STRING;
}

/** A value to throw: not always an Error, and sometimes one that is itself hostile to read. */
export function thrownValue(r: FuzzRandom): unknown {
  const value = pickThrown(r);
  if (typeof value === 'object' && value !== null) thrownObjects.add(value);
  return value;
}

function pickThrown(r: FuzzRandom): unknown {
  switch (r.int(10)) {
    case 0:
      return new TypeError('fuzz: getter threw a TypeError');
    case 1:
      return new RangeError('fuzz: getter threw a RangeError');
    case 2:
      return new Error('fuzz: getter threw an Error');
    case 3:
      return THROWN_STRING;
    case 4:
      return undefined;
    case 5:
      return Symbol(THROWN_SYMBOL);
    case 6: {
      // An error whose message cannot be read: error reporting must not throw again.
      const error = new Error('unreadable');
      Object.defineProperty(error, 'message', {
        get: labelled(() => {
          throw new Error('fuzz: message getter threw');
        }, 'message getter throws'),
      });
      return labelled(error, 'Error whose message getter throws');
    }
    case 7: {
      // What its traps throw is the input's own exception too.
      const inner = new Error('fuzz: thrown by the traps of a thrown proxy');
      thrownObjects.add(inner);
      return labelled(everyTrapThrows({}, inner), 'thrown Proxy(every trap throws)');
    }
    case 8:
      return 42;
    default:
      return null;
  }
}

/** A function that throws `thrownValue`, labelled with what it throws. */
export function thrower(r: FuzzRandom): () => never {
  const value = thrownValue(r);
  return labelled(
    () => {
      throw value;
    },
    `throws ${describeThrown(value)}`,
  );
}

function describeThrown(value: unknown): string {
  // Labels first: `instanceof` on a thrown proxy would run its (throwing) getPrototypeOf trap.
  if (typeof value === 'object' && value !== null && labels.has(value)) return labels.get(value)!;
  if (value instanceof Error) return value.constructor.name;
  if (typeof value === 'object' && value !== null) return 'an object';
  if (typeof value === 'symbol') return 'a Symbol';
  return typeof value === 'string' ? 'a string' : String(value);
}

/** A proxy whose every trap throws `error` (reading, listing, checking, even its prototype). */
export function everyTrapThrows<T extends object>(target: T, error: unknown): T {
  const fail = () => {
    throw error;
  };
  return new Proxy(target, {
    get: fail,
    set: fail,
    has: fail,
    ownKeys: fail,
    getOwnPropertyDescriptor: fail,
    getPrototypeOf: fail,
    defineProperty: fail,
    deleteProperty: fail,
    isExtensible: fail,
    preventExtensions: fail,
    apply: fail,
    construct: fail,
  });
}

/** Proxies of several hostile kinds around `target`. */
export function hostileProxy(r: FuzzRandom, target: object): object {
  switch (r.int(7)) {
    case 0:
      return labelled(everyTrapThrows(target, thrownValue(r)), 'Proxy(every trap throws)');
    case 1: {
      const { proxy, revoke } = Proxy.revocable(target, {});
      revoke();
      return labelled(proxy, 'revoked Proxy');
    }
    case 2: {
      // Each read returns something else: validation and use see different values.
      const values = Array.from({ length: 8 }, () => hostileValue(r, 1));
      let reads = 0;
      return labelled(
        new Proxy(target, { get: () => values[reads++ % values.length] }),
        'Proxy(get returns a different hostile value on each read)',
      );
    }
    case 3:
      // An invariant-breaking trap: the engine itself throws a TypeError when the keys are listed.
      return labelled(new Proxy(target, { ownKeys: () => ['a', 'a'] }), 'Proxy(ownKeys lists a key twice)');
    case 4:
      return labelled(new Proxy(target, { getPrototypeOf: thrower(r) }), 'Proxy(getPrototypeOf throws)');
    case 5:
      return labelled(
        new Proxy(target, { getOwnPropertyDescriptor: thrower(r), has: thrower(r) }),
        'Proxy(getOwnPropertyDescriptor and has throw)',
      );
    default:
      return labelled(new Proxy(target, {}), 'Proxy(transparent)');
  }
}

/** Dates real and fake: invalid, at the limits, subclassed, with methods that lie or throw. */
export function hostileDate(r: FuzzRandom): unknown {
  switch (r.int(11)) {
    case 0:
      return new Date(Date.UTC(2026, 0, 5) + r.int(30 * 86_400_000));
    case 1:
      return new Date(Number.NaN);
    case 2:
      return labelled(Object.create(Date.prototype) as object, 'fake Date (Object.create(Date.prototype))');
    case 3:
      return new Date(8.64e15);
    case 4:
      return new Date(-8.64e15);
    case 5: {
      class LyingDate extends Date {
        override getTime(): number {
          return Number.NaN;
        }
        override valueOf(): number {
          return Number.NaN;
        }
      }
      return labelled(new LyingDate(Date.UTC(2026, 0, 6)), 'Date subclass whose getTime/valueOf return NaN');
    }
    case 6: {
      const date = new Date(Date.UTC(2026, 0, 6));
      Object.defineProperty(date, 'getTime', { value: thrower(r) });
      Object.defineProperty(date, Symbol.toPrimitive, { value: thrower(r) });
      return labelled(date, 'Date with own getTime and Symbol.toPrimitive that throw');
    }
    case 7:
      return labelled(new Proxy(new Date(Date.UTC(2026, 0, 6)), {}), 'Proxy(Date)');
    case 8: {
      const date = new Date(Date.UTC(2026, 0, 6));
      Object.setPrototypeOf(date, null);
      return labelled(date, 'Date with a null prototype');
    }
    case 9:
      return r.pick(HOSTILE_STRINGS.filter((s) => /^[-+0-9]/.test(s)));
    default:
      return hostileNumber(r);
  }
}

/** Object structures that are hard to walk: cycles, shared references, depth, width, sparseness. */
export function hostileStructure(r: FuzzRandom): object {
  switch (r.int(9)) {
    case 0: {
      const cyclic: Record<string, unknown> = { name: 'cyclic' };
      cyclic.self = cyclic;
      return labelled(cyclic, 'object containing itself');
    }
    case 1: {
      const a: Record<string, unknown> = {};
      const b: unknown[] = [a];
      a.b = b;
      return labelled(a, 'object -> array -> object cycle');
    }
    case 2: {
      const depth = r.size(10, LIMITS.dag);
      let node: object = { leaf: 1 };
      const asArray = r.chance(0.5);
      for (let i = 0; i < depth; i++) node = asArray ? [node, node] : { a: node, b: node };
      return labelled(node, `shared-reference DAG ${depth} levels deep (2^${depth} paths)`);
    }
    case 3: {
      const depth = r.size(100, LIMITS.deep);
      const asArray = r.chance(0.5);
      let node: object = asArray ? [] : {};
      for (let i = 0; i < depth; i++) node = asArray ? [node] : { x: node };
      return labelled(node, `${asArray ? 'arrays' : 'objects'} nested ${depth} deep`);
    }
    case 4: {
      const keys = r.size(100, LIMITS.wide);
      const wide: Record<string, number> = {};
      for (let i = 0; i < keys; i++) wide[`k${i}`] = i;
      return labelled(wide, `object with ${keys} keys`);
    }
    case 5: {
      const length = r.size(100, LIMITS.wide);
      const fill = hostileValue(r, 0);
      return labelled(new Array<unknown>(length).fill(fill), `array of ${length} copies of one value`);
    }
    case 6: {
      const sparse: unknown[] = [];
      sparse.length = r.size(1000, LIMITS.sparse);
      sparse[sparse.length - 1] = hostileValue(r, 0);
      return labelled(sparse, `sparse array of length ${sparse.length}`);
    }
    case 7: {
      const length = r.size(10, LIMITS.wide);
      const typed = r.pick([Float64Array, Float32Array, Int32Array, Uint8Array] as const);
      const array = new typed(length);
      for (let i = 0; i < Math.min(length, 64); i++) array[i] = hostileNumber(r);
      return array;
    }
    default:
      // Keys that reach prototypes when copied naively, as own properties (as JSON.parse makes them).
      return labelled(
        JSON.parse(
          '{"__proto__":{"polluted":true,"isAdmin":true},"constructor":{"prototype":{"polluted":true}},"prototype":{"x":1}}',
        ) as object,
        'own __proto__/constructor/prototype keys (JSON.parse)',
      );
  }
}

/** Odd objects: boxed primitives, collections, functions, objects with throwing conversions. */
function oddObject(r: FuzzRandom): unknown {
  switch (r.int(14)) {
    case 0:
      return new Number(r.pick(HOSTILE_NUMBERS));
    case 1:
      return new String(r.pick(HOSTILE_STRINGS));
    case 2:
      return new Boolean(false);
    case 3:
      return new Map([['a', 1]]);
    case 4:
      return new Set([1, 2]);
    case 5:
      return labelled(() => 1, 'a function');
    case 6:
      return labelled(class Fuzz {}, 'a class');
    case 7:
      return labelled({ valueOf: thrower(r), toString: thrower(r) }, 'object whose valueOf/toString throw');
    case 8:
      return labelled({ [Symbol.toPrimitive]: thrower(r) }, 'object whose Symbol.toPrimitive throws');
    case 9:
      return labelled({ toJSON: thrower(r) }, 'object whose toJSON throws');
    case 10: {
      const thenable = {};
      Object.defineProperty(thenable, 'then', { value: thrower(r), enumerable: true });
      return labelled(thenable, 'thenable whose then throws');
    }
    case 11:
      return new ArrayBuffer(16);
    case 12:
      return /x/g;
    default:
      return Object.freeze({ frozen: true });
  }
}

/** An object with a getter on one of its keys: throwing, or returning a valid value once and then not. */
export function withGetter(
  r: FuzzRandom,
  target: Record<string, unknown>,
  key: string,
  valid: unknown,
): Record<string, unknown> {
  highlight(target, [key]);
  if (r.chance(0.5)) {
    Object.defineProperty(target, key, { get: thrower(r), enumerable: true, configurable: true });
    return target;
  }
  const later = hostileValue(r, 1);
  let reads = 0;
  Object.defineProperty(target, key, {
    get: labelled(() => (reads++ === 0 ? valid : later), 'valid on the first read, hostile after'),
    enumerable: true,
    configurable: true,
  });
  return target;
}

/** Plain data of random shape (the kind JSON holds), with hostile leaves. */
export function randomRecord(r: FuzzRandom, depth: number): Record<string, unknown> {
  const record: Record<string, unknown> = r.chance(0.1)
    ? (Object.create(null) as Record<string, unknown>)
    : {};
  const keys = r.int(6);
  for (let i = 0; i < keys; i++) {
    const key = r.chance(0.3) ? hostileString(r).slice(0, 300) : `k${r.int(20)}`;
    Object.defineProperty(record, key, {
      value: hostileValue(r, depth - 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  if (r.chance(0.05)) record[Symbol.for('fuzz') as unknown as string] = 1;
  return record;
}

/** Any value at all; `depth` bounds the nesting of the random (not the structural) part. */
export function hostileValue(r: FuzzRandom, depth = 2): unknown {
  const kind = r.weighted<string>([
    [8, 'number'],
    [8, 'string'],
    [2, 'boolean'],
    [2, 'nullish'],
    [1, 'bigint'],
    [1, 'symbol'],
    [3, 'date'],
    [depth > 0 ? 5 : 0, 'record'],
    [depth > 0 ? 3 : 0, 'array'],
    [2, 'structure'],
    [2, 'odd'],
    [depth > 0 ? 2 : 0, 'proxy'],
    [depth > 0 ? 2 : 0, 'getter'],
  ]);
  switch (kind) {
    case 'number':
      return hostileNumber(r);
    case 'string':
      return hostileString(r);
    case 'boolean':
      return r.chance(0.5);
    case 'nullish':
      return r.chance(0.5) ? null : undefined;
    case 'bigint':
      return r.pick([0n, -1n, 10n ** 30n, 2n ** 64n]);
    case 'symbol':
      return r.chance(0.5) ? Symbol('fuzz') : Symbol.iterator;
    case 'date':
      return hostileDate(r);
    case 'record':
      return randomRecord(r, depth);
    case 'array':
      return Array.from({ length: r.int(6) }, () => hostileValue(r, depth - 1));
    case 'structure':
      return hostileStructure(r);
    case 'odd':
      return oddObject(r);
    case 'proxy':
      return hostileProxy(r, r.chance(0.7) ? randomRecord(r, depth - 1) : []);
    default:
      return withGetter(r, randomRecord(r, depth - 1), `k${r.int(5)}`, 1);
  }
}

/**
 * A value JSON can hold, parsed from text as a server would receive it (so `__proto__` is an own
 * key): for inputs that arrive over the wire, like an MCP tool call's arguments.
 */
export function wireValue(r: FuzzRandom, depth = 3): unknown {
  return JSON.parse(wireText(r, depth)) as unknown;
}

/** JSON text of a random value, deep nesting included (as a hostile client sends it). */
export function wireText(r: FuzzRandom, depth: number): string {
  const choice = r.int(depth > 0 ? 10 : 6);
  switch (choice) {
    case 0:
    case 1: {
      const n = hostileNumber(r);
      return Number.isFinite(n) ? JSON.stringify(n) : r.pick(['1e400', '-1e400', '0', '-0']);
    }
    case 2:
    case 3:
      return JSON.stringify(hostileString(r));
    case 4:
      return r.pick(['true', 'false', 'null']);
    case 5:
      return r.pick(['{}', '[]', '""']);
    case 6:
    case 7: {
      const keys = r.int(6);
      const parts: string[] = [];
      for (let i = 0; i < keys; i++) {
        const key = r.chance(0.3)
          ? r.pick(['__proto__', 'constructor', 'prototype', 'toString'])
          : hostileString(r);
        parts.push(`${JSON.stringify(key.slice(0, 300))}:${wireText(r, depth - 1)}`);
      }
      return `{${parts.join(',')}}`;
    }
    case 8: {
      const nested = r.size(2, 20_000);
      return `${'{"a":'.repeat(nested)}1${'}'.repeat(nested)}`;
    }
    default:
      return `[${Array.from({ length: r.int(6) }, () => wireText(r, depth - 1)).join(',')}]`;
  }
}
