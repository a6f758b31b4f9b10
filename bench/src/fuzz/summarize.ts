// A short, safe printout of a fuzz input for a reproducer. It never runs the input's code: getters
// are shown as getters, proxies by their label, and only a bounded part of a big value is read.
import { types } from 'node:util';
import { highlightsOf, labelOf } from './values.js';

const MAX_STRING = 40;
const MAX_LENGTH = 700;

/** How much of a value to print: objects in all, items per object, levels of nesting. */
export interface PrintLimits {
  readonly nodes: number;
  readonly items: number;
  readonly depth: number;
}

/** For reproducer lines: the part that matters first, and short. */
export const SHORT: PrintLimits = { nodes: 40, items: 6, depth: 2 };
/** For replays: much more of it. */
export const LONG: PrintLimits = { nodes: 400, items: 40, depth: 4 };

function quote(text: string): string {
  const shown = JSON.stringify(text.length > MAX_STRING ? text.slice(0, MAX_STRING) : text);
  return text.length > MAX_STRING ? `${shown}...(${text.length} chars)` : shown;
}

function keyText(key: string | symbol): string {
  if (typeof key === 'symbol') return `[${key.toString()}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : quote(key);
}

function primitive(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'boolean':
    case 'undefined':
      return String(value);
    default:
      return value === null ? 'null' : undefined;
  }
}

/** Keys worth showing before the others: getters, hostile values, keys that reach prototypes. */
function interesting(target: object, key: string | symbol): boolean {
  if (typeof key === 'symbol' || key === '__proto__' || key === 'constructor' || key === 'prototype')
    return true;
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (!descriptor || descriptor.get || descriptor.set || !descriptor.enumerable) return true;
  const value: unknown = descriptor.value;
  return (
    typeof value === 'object' && value !== null && (types.isProxy(value) || labelOf(value) !== undefined)
  );
}

class Printer {
  private nodes: number;
  private readonly seen = new Set<object>();

  constructor(private readonly limits: PrintLimits) {
    this.nodes = limits.nodes;
  }

  /** An own property as `key: value`; a getter is named, never called. */
  property(target: object, key: string | symbol, depth: number, label = keyText(key)): string {
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    const prefix = label ? `${label}: ` : '';
    if (!descriptor) return `${prefix}<hole>`;
    const hidden = descriptor.enumerable ? '' : ' (non-enumerable)';
    if (descriptor.get || descriptor.set) {
      const getter = descriptor.get ? (labelOf(descriptor.get) ?? 'getter') : 'no getter';
      return `${prefix}get [${getter}]${hidden}`;
    }
    return `${prefix}${this.value(descriptor.value, depth)}${hidden}`;
  }

  value(value: unknown, depth: number): string {
    const simple = primitive(value);
    if (simple !== undefined) return simple;
    const object = value as object;
    const label = labelOf(object);
    if (label !== undefined) return `<${label}>`;
    if (types.isProxy(object)) return '<Proxy>';
    if (typeof object === 'function') {
      return `<function ${String(Object.getOwnPropertyDescriptor(object, 'name')?.value ?? '')}>`;
    }
    if (this.seen.has(object)) return '<shown before: shared or cyclic>';
    this.seen.add(object);
    if (types.isDate(object)) {
      const ms = Date.prototype.getTime.call(object);
      return Number.isNaN(ms) ? 'Date(Invalid Date)' : `Date(${new Date(ms).toISOString()})`;
    }
    if (types.isTypedArray(object)) return `${object.constructor.name}(${object.length})`;
    if (types.isMap(object) || types.isSet(object)) return `${object.constructor.name}(${object.size})`;
    if (types.isBoxedPrimitive(object)) return `boxed ${primitive(object.valueOf())}`;
    const deep = depth >= this.limits.depth || --this.nodes < 0;
    // What the generator changed comes first, so a reproducer shows it however big the value is.
    const marked = highlightsOf(object);
    if (Array.isArray(object)) {
      if (deep) return `[...length ${object.length}]`;
      const items = marked.map((i) => this.property(object, i, depth + 1, `#${i}`));
      for (let i = 0; i < Math.min(object.length, this.limits.items); i++) {
        if (!marked.includes(String(i))) items.push(this.property(object, String(i), depth + 1, ''));
      }
      return `[${items.join(', ')}${object.length > this.limits.items ? `, ...(length ${object.length})` : ''}]`;
    }
    const prototype = Object.getPrototypeOf(object) as object | null;
    const kind =
      prototype === null
        ? 'null-prototype '
        : prototype === Object.prototype
          ? ''
          : `${String(Object.getOwnPropertyDescriptor(prototype, 'constructor')?.value?.name ?? 'class')} `;
    const keys = Reflect.ownKeys(object);
    if (deep) return `${kind}{...${keys.length} keys}`;
    const first = keys.filter((key) => marked.includes(key as string) || interesting(object, key));
    const ordered = [...first, ...keys.filter((key) => !first.includes(key))].slice(
      0,
      this.limits.items + first.length,
    );
    const shown = ordered.map((key) => this.property(object, key, depth + 1));
    return `${kind}{${shown.join(', ')}${keys.length > shown.length ? `, ...(${keys.length} keys)` : ''}}`;
  }
}

/** A one-line description of `value`, within `limits`. Never throws. */
export function summarize(value: unknown, limits = SHORT, maxLength = MAX_LENGTH): string {
  try {
    const text = new Printer(limits).value(value, 0);
    return text.length > maxLength ? `${text.slice(0, maxLength)}...` : text;
  } catch (error) {
    return `<unprintable: ${error instanceof Error ? error.message : typeof error}>`;
  }
}
