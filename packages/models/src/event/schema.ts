// The general path of event parsing: a zod schema built from the field table, which decides every
// input the fast path leaves to it and explains what is wrong, field by field.
import { z } from 'zod';
import { TimestampSchema } from '../timestamp.js';
import { FIELD_LIST, type FieldKind } from './fields.js';
import type { EventLimits } from './limits.js';
import { ParsedEvent } from './parsed-event.js';

export const DOMAIN_PATTERN = /^[A-Za-z0-9_.-]+\.?$/;

function nonNegative(kind: 'duration' | 'count') {
  const base = z.number().min(0);
  return kind === 'count' ? base.int() : base;
}

/** The schema of an input whose keys are canonical (see `normaliseKeys`). */
export function buildSchema(limits: EventLimits) {
  const id = z.string().min(1).max(limits.maxIdLength);
  const name = z.string().min(1).max(limits.maxNameLength);
  const schemaFor = (kind: FieldKind): z.ZodType => {
    switch (kind) {
      case 'timestamp':
        return TimestampSchema;
      case 'id':
        return id;
      case 'name':
        return name;
      case 'path':
        return z.string().min(1).max(limits.maxPathLength);
      case 'ip':
        return z.union([z.ipv4(), z.ipv6()], { error: 'expected an IPv4 or IPv6 address' });
      case 'domain':
        return z
          .string()
          .min(1)
          .max(253)
          .regex(DOMAIN_PATTERN, 'expected a domain name such as api.example.com');
      case 'duration':
      case 'count':
        return nonNegative(kind);
      case 'boolean':
        return z.boolean();
      case 'resources':
        return z
          .record(z.string().max(limits.maxNameLength), z.number().min(0))
          .refine((r) => Object.keys(r).length <= limits.maxResourceKeys, {
            message: `expected at most ${limits.maxResourceKeys} resource counters`,
          });
      case 'metadata':
        // A parsed event given as metadata is read as the plain record it was before parsing.
        return z.preprocess(
          (v) => (v instanceof ParsedEvent ? { ...v } : v),
          z.record(z.string(), z.unknown()),
        );
    }
  };
  const shape: Record<string, z.ZodType> = {};
  for (const { field, kind, presence } of FIELD_LIST) {
    shape[field] = presence === 'required' ? schemaFor(kind) : schemaFor(kind).optional();
  }
  return z.object(shape);
}
