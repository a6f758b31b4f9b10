// Mutations of valid serialized artifacts: one node of the JSON tree changed (replaced, retyped,
// nudged, removed), the JSON text damaged, the bytes of a forest's packed sections flipped, and
// forged forests whose checksum was recomputed after the edit, as an attacker would.

import { types } from 'node:util';
import { FOREST_FORMAT } from '@harombe/isolation-forest';
import type { FuzzRandom } from './random.js';
import {
  HOSTILE_NUMBERS,
  hostileString,
  hostileStructure,
  hostileValue,
  labelOf,
  wireValue,
} from './values.js';

type Container = Record<string, unknown> | unknown[];

interface Slot {
  readonly parent: Container;
  readonly key: string;
  readonly depth: number;
}

/**
 * The plain data properties of `node`, read without running its code: an earlier mutation may have
 * put a proxy, a getter or a labelled hostile structure there, which only the code under test reads.
 */
function dataEntries(node: unknown): [string, unknown][] {
  if (node === null || typeof node !== 'object' || types.isProxy(node)) return [];
  // Labelled structures (huge, cyclic) and typed arrays are leaves: replaced whole, never walked.
  if (labelOf(node) !== undefined || ArrayBuffer.isView(node)) return [];
  const entries: [string, unknown][] = [];
  for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(node))) {
    if ('value' in descriptor && descriptor.enumerable) entries.push([key, descriptor.value]);
  }
  return entries;
}

/** The plain data of a fresh JSON copy: nothing hostile in it yet, so read directly (fast). */
function plainEntries(node: unknown): [string, unknown][] {
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node);
}

/**
 * Every (parent, key) slot of a JSON tree, breadth first, at most `limit` of them. `plain`: the tree
 * is a fresh JSON copy (the first change); later changes may have put hostile values in it.
 */
function slots(root: unknown, plain: boolean, limit = 3000): Slot[] {
  const entries = plain ? plainEntries : dataEntries;
  const found: Slot[] = [];
  const queue: { node: unknown; depth: number }[] = [{ node: root, depth: 0 }];
  for (let i = 0; i < queue.length && found.length < limit; i++) {
    const { node, depth } = queue[i]!;
    for (const [key, value] of entries(node)) {
      found.push({ parent: node as Container, key, depth });
      queue.push({ node: value, depth: depth + 1 });
    }
  }
  return found;
}

function nudgeNumber(r: FuzzRandom, n: number): number {
  return r.pick([
    n + 1,
    n - 1,
    -n,
    n * 2,
    n / 2,
    0,
    n + 0.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 31,
    2 ** 32,
    1e9,
    Number.MAX_SAFE_INTEGER,
    r.pick(HOSTILE_NUMBERS),
  ]);
}

function nudgeString(r: FuzzRandom, s: string): string {
  if (s.length === 0) return hostileString(r);
  const at = r.int(s.length);
  switch (r.int(5)) {
    case 0:
      return s.slice(0, at) + String.fromCharCode(s.charCodeAt(at) ^ (1 << r.int(7))) + s.slice(at + 1);
    case 1:
      return s.slice(0, at);
    case 2:
      return s + s;
    case 3:
      return s.slice(0, at) + hostileString(r).slice(0, 100) + s.slice(at);
    default:
      return '';
  }
}

function nudgeArray(r: FuzzRandom, a: unknown[], values: Replacements): unknown[] {
  const copy = [...a];
  switch (r.int(6)) {
    case 0:
      copy.pop();
      return copy;
    case 1:
      if (copy.length > 0) copy.push(copy[r.int(copy.length)]);
      return copy;
    case 2:
      copy.push(values.value(r, 1));
      return copy;
    case 3:
      return [];
    case 4:
      copy.length += r.size(1, 100_000);
      return copy;
    default:
      return copy.reverse();
  }
}

function retype(value: unknown): unknown {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return { ...value };
  if (value !== null && typeof value === 'object') return Object.values(value);
  return [value];
}

/** One change to one node of `root` (a fresh copy, changed in place); returns the new root and what changed. */
/** Where replacement values come from: any JavaScript value, or only what JSON text can hold. */
interface Replacements {
  value(r: FuzzRandom, depth: number): unknown;
  structure(r: FuzzRandom): unknown;
}

const HOSTILE: Replacements = { value: hostileValue, structure: hostileStructure };
/** For artifacts that end up as bytes (a file's header): a shared-reference DAG would not serialize. */
const WIRE: Replacements = { value: wireValue, structure: (r) => wireValue(r, 4) };

function mutateOnce(
  r: FuzzRandom,
  root: unknown,
  plain: boolean,
  values: Replacements,
): { root: unknown; change: string } {
  const all = slots(root, plain);
  if (all.length === 0 || r.chance(0.03))
    return { root: values.value(r, 2), change: 'whole artifact replaced' };
  // Shallow slots more often than their share: header fields decide how the rest is read.
  const slot = r.chance(0.5) ? all[r.int(Math.min(all.length, 40))]! : all[r.int(all.length)]!;
  const record = slot.parent as Record<string, unknown>;
  const old = record[slot.key];
  const where = `at depth ${slot.depth}, key ${JSON.stringify(slot.key)}`;
  switch (r.int(8)) {
    case 0:
      record[slot.key] = values.value(r, 2);
      return { root, change: `value ${where} replaced by a hostile value` };
    case 1:
      record[slot.key] = retype(old);
      return { root, change: `value ${where} retyped` };
    case 2:
      if (Array.isArray(slot.parent)) slot.parent.splice(Number(slot.key), 1);
      else delete record[slot.key];
      return { root, change: `value ${where} removed` };
    case 3:
      Object.defineProperty(slot.parent, r.pick(['__proto__', 'constructor', 'extra']), {
        value: values.value(r, 1),
        enumerable: true,
        configurable: true,
        writable: true,
      });
      return { root, change: `key added beside ${where}` };
    case 4:
      record[slot.key] = values.structure(r);
      return { root, change: `value ${where} replaced by a hostile structure` };
    default:
      if (typeof old === 'number') record[slot.key] = nudgeNumber(r, old);
      else if (typeof old === 'string') record[slot.key] = nudgeString(r, old);
      else if (Array.isArray(old)) record[slot.key] = nudgeArray(r, old, values);
      else record[slot.key] = values.value(r, 1);
      return { root, change: `value ${where} nudged` };
  }
}

/** One to three changes to a deep copy of `artifact`; `reseal` forests' checksums half the time. */
const texts = new WeakMap<object, string>();

/** The JSON text of a (clean) artifact, made once: copies and damaged texts start from it. */
export function textOf(artifact: object): string {
  let text = texts.get(artifact);
  if (text === undefined) {
    text = JSON.stringify(artifact);
    texts.set(artifact, text);
  }
  return text;
}

/** `json`: only changes JSON text can hold (for artifacts written out as bytes). */
export function mutateArtifact(
  r: FuzzRandom,
  artifact: object,
  options: { json?: boolean } = {},
): { value: unknown; note: string } {
  const values = options.json ? WIRE : HOSTILE;
  let root: unknown = JSON.parse(textOf(artifact));
  const changes: string[] = [];
  const count = r.weighted([
    [7, 1],
    [2, 2],
    [1, 3],
  ]);
  for (let i = 0; i < count; i++) {
    try {
      const result = mutateOnce(r, root, i === 0, values);
      root = result.root;
      changes.push(result.change);
    } catch {
      // A frozen or non-configurable node an earlier change put there: this change did not happen.
      changes.push('a change that could not be made');
    }
  }
  const resealed = r.chance(0.5) && resealForests(root);
  return {
    value: root,
    note: `${changes.join('; ')}${resealed ? '; forest checksum recomputed (forged)' : ''}`,
  };
}

/** The text of `json` damaged: a flipped character, a cut, junk inserted, a slice repeated. */
export function damageText(r: FuzzRandom, text: string): { value: string; note: string } {
  const at = r.int(Math.max(1, text.length));
  switch (r.int(5)) {
    case 0: {
      const flipped = String.fromCharCode(text.charCodeAt(at) ^ (1 << r.int(7)));
      return {
        value: text.slice(0, at) + flipped + text.slice(at + 1),
        note: `character ${at} of the JSON text flipped`,
      };
    }
    case 1:
      return { value: text.slice(0, at), note: `JSON text cut at ${at} of ${text.length}` };
    case 2:
      return {
        value: text.slice(0, at) + hostileString(r).slice(0, 200) + text.slice(at),
        note: `junk inserted at ${at}`,
      };
    case 3: {
      const end = Math.min(text.length, at + 1 + r.int(200));
      return { value: text.slice(0, end) + text.slice(at), note: `characters ${at}-${end} repeated` };
    }
    default:
      return { value: `${text}${text.slice(0, r.int(100))}`, note: 'text appended after the JSON' };
  }
}

// --- forged forests -------------------------------------------------------------------------------
// The forest checksum (FNV-1a over a header line and the packed sections) catches accidents, not
// attackers: recomputing it after an edit lets the fuzzer reach the structural checks behind it.

const SECTIONS = ['structure', 'features', 'thresholds', 'wideThresholds', 'leafSizes'] as const;

function forestChecksum(forest: Record<string, unknown>, sections: readonly Uint8Array[]): string {
  const f = new Map(dataEntries(forest));
  const o = new Map(dataEntries(f.get('options')));
  const header = [
    FOREST_FORMAT,
    f.get('version'),
    o.get('nEstimators'),
    o.get('maxSamples'),
    o.get('maxDepth'),
    o.get('seed'),
    o.get('contamination'),
    f.get('nFeatures'),
    f.get('psi'),
    f.get('maxDepth'),
    f.get('threshold'),
    f.get('nodeCount'),
  ]
    .map(safeText)
    .join('|');
  let hash = 0x811c9dc5;
  const mix = (byte: number) => {
    hash = Math.imul(hash ^ byte, 0x01000193);
  };
  for (let i = 0; i < header.length; i++) {
    const code = header.charCodeAt(i);
    mix(code & 0xff);
    mix(code >>> 8);
  }
  for (const section of sections) {
    mix(0xff);
    for (const byte of section) mix(byte);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** `String(value)` as `Array.prototype.join` gives it, or a placeholder when that would run hostile code. */
function safeText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object' && typeof value !== 'symbol') return String(value);
  return '<object>';
}

/** JSON text of a value that may hold things JSON cannot (BigInt, cycles, throwing getters). */
export function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return '"<not JSON>"';
  }
}

/** Recomputes the checksum of every forest in `root` whose sections are still base64 text. */
export function resealForests(root: unknown): boolean {
  let resealed = false;
  for (const forest of forestsIn(root)) {
    const fields = new Map(dataEntries(forest));
    const texts = SECTIONS.map((name) => fields.get(name));
    if (!texts.every((t): t is string => typeof t === 'string')) continue;
    forest.checksum = forestChecksum(
      forest,
      texts.map((t) => Buffer.from(t, 'base64')),
    );
    resealed = true;
  }
  return resealed;
}

/** Forests at the root or up to two levels below it (where artifacts nest them). */
function forestsIn(root: unknown): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  let level: unknown[] = [root];
  for (let depth = 0; depth <= 2 && level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const node of level) {
      const entries = new Map(dataEntries(node));
      if (entries.get('format') === FOREST_FORMAT) found.push(node as Record<string, unknown>);
      else
        for (const value of entries.values())
          if (value !== null && typeof value === 'object') next.push(value);
    }
    level = next;
  }
  return found;
}

/** A forest with bytes of one packed section (or one header number) changed, then resealed. */
export function forgeForest(r: FuzzRandom, forest: unknown): { value: unknown; note: string } {
  const copy = structuredClone(forest) as Record<string, unknown>;
  let note: string;
  if (r.chance(0.3)) {
    const field = r.pick(['nodeCount', 'nFeatures', 'psi', 'maxDepth', 'threshold']);
    copy[field] = nudgeNumber(r, Number(copy[field]));
    note = `header field ${field} changed to ${String(copy[field])}`;
  } else {
    const name = r.pick(SECTIONS);
    const bytes = Buffer.from(String(copy[name]), 'base64');
    let edited: Buffer;
    switch (r.int(4)) {
      case 0:
        edited = Buffer.from(bytes);
        for (let i = 0; i < 1 + r.int(4) && edited.length > 0; i++) {
          const at = r.int(edited.length);
          edited[at] = edited[at]! ^ (1 << r.int(8));
        }
        note = `bits flipped in section ${name}`;
        break;
      case 1:
        edited = bytes.subarray(0, r.int(bytes.length + 1));
        note = `section ${name} cut to ${edited.length} of ${bytes.length} bytes`;
        break;
      case 2:
        edited = Buffer.concat([bytes, Buffer.alloc(1 + r.int(64), r.pick([0, 0xff, 0x7f]))]);
        note = `bytes appended to section ${name}`;
        break;
      default:
        edited = Buffer.alloc(bytes.length, r.pick([0, 0xff, 0x80]));
        note = `section ${name} filled with one byte`;
    }
    copy[name] = edited.toString('base64');
  }
  resealForests(copy);
  return { value: copy, note: `${note}; checksum recomputed (forged)` };
}
