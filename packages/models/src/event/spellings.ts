// Which input keys name which field: every field in camelCase and in the spec's snake_case, read from
// the field table. Keys that could reach a prototype are never copied.
import { type EventField, FIELD_LIST, type FieldKind, snakeCase } from './fields.js';

export interface Spelling {
  readonly field: EventField;
  readonly camel: boolean;
  readonly kind: FieldKind;
  /** The field's bit in a set of fields seen. */
  readonly bit: number;
}

/** Every accepted spelling → canonical field. camelCase wins when both spellings are present. */
export const SPELLINGS = new Map<string, Spelling>();
FIELD_LIST.forEach(({ field, kind }, index) => {
  SPELLINGS.set(field, { field, camel: true, kind, bit: 1 << index });
  const snake = snakeCase(field);
  if (snake !== field) SPELLINGS.set(snake, { field, camel: false, kind, bit: 1 << index });
});

/** Keys that could reach an object's prototype if copied naively; always dropped. */
export const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Unknown fields of an input (kept as metadata), with their values. */
export type Extras = Array<[string, unknown]>;

export const NO_EXTRAS: Extras = [];

interface Normalised {
  readonly canonical: Record<string, unknown>;
  /** Fields we do not know (kept as metadata), when there are any. */
  readonly extras: Extras | undefined;
}

/** Canonical field names for the caller's keys. No allocation beyond `canonical` for plain snake_case input. */
export function normaliseKeys(input: Record<string, unknown>): Normalised {
  const canonical: Record<string, unknown> = {};
  let extras: Extras | undefined;
  let fromCamel: Set<string> | undefined;
  for (const key of Object.keys(input)) {
    const spelling = SPELLINGS.get(key);
    if (!spelling) {
      if (UNSAFE_KEYS.has(key)) continue;
      const value = input[key];
      extras ??= [];
      extras.push([key, value]);
      continue;
    }
    const value = input[key];
    if (value === undefined || value === null) continue;
    if (!spelling.camel && fromCamel?.has(spelling.field)) continue;
    canonical[spelling.field] = value;
    if (spelling.camel) {
      fromCamel ??= new Set();
      fromCamel.add(spelling.field);
    }
  }
  return { canonical, extras };
}

/** The key the caller used for a canonical field (camelCase wins, as in `normaliseKeys`), for error paths. */
export function spellingIn(input: Record<string, unknown>, field: string): string | undefined {
  let found: string | undefined;
  for (const key of Object.keys(input)) {
    const spelling = SPELLINGS.get(key);
    if (spelling?.field !== field || input[key] === undefined || input[key] === null) continue;
    if (spelling.camel) return key;
    found = key;
  }
  return found;
}
