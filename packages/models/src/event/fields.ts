// The event's fields, in one table: what each holds, whether it is always present once parsed, and
// whether training copies keep it. The input, parsed and training types are derived from it, and the
// parsers (fast path and schema) read it, so a new field is added here once.

/** How a field's value is checked (one rule per kind, in `schema.ts` and `fast-parse.ts`). */
export type FieldKind =
  | 'id'
  | 'name'
  | 'path'
  | 'ip'
  | 'domain'
  | 'duration'
  | 'count'
  | 'boolean'
  | 'resources'
  | 'metadata'
  | 'timestamp';

/**
 * Whether a field is there: `required` in input and so in every event; `defaulted` when absent from
 * input, so in every event too; `optional` in both.
 */
type Presence = 'required' | 'defaulted' | 'optional';

interface FieldSpec {
  readonly kind: FieldKind;
  readonly presence: Presence;
  /** Kept in training copies (what learning reads, and the id). */
  readonly training: boolean;
}

/**
 * Canonical (camelCase) field → its spec, in the order parsed events hold them. Snake-case spellings
 * are derived from the names. The comments are the parsed event's documentation.
 */
export const FIELDS = {
  /** When it happened. */
  timestamp: { kind: 'timestamp', presence: 'required', training: true },
  /** What kind of event (`tool_call`, `file_operation`, ...). Free text, learned per agent. */
  eventType: { kind: 'name', presence: 'required', training: true },
  /** Whether it succeeded. Derived from `status` when absent; `true` when neither is given. */
  success: { kind: 'boolean', presence: 'defaulted', training: true },
  /** Outcome text. Derived from `success` (`success`/`failure`) when absent. */
  status: { kind: 'name', presence: 'defaulted', training: true },
  eventId: { kind: 'id', presence: 'optional', training: true },
  correlationId: { kind: 'id', presence: 'optional', training: false },
  sessionId: { kind: 'id', presence: 'optional', training: false },
  /** The agent; `agent_id` or, when absent, `actor`. */
  agentId: { kind: 'id', presence: 'optional', training: false },
  /** Who acted; `actor` or, when absent, `agent_id`. */
  actor: { kind: 'id', presence: 'optional', training: false },
  toolName: { kind: 'name', presence: 'optional', training: true },
  action: { kind: 'name', presence: 'optional', training: false },
  /** Milliseconds, finite and >= 0. */
  durationMs: { kind: 'duration', presence: 'optional', training: true },
  /** Number of resources touched, an integer >= 0. */
  resourceCount: { kind: 'count', presence: 'optional', training: true },
  destinationIp: { kind: 'ip', presence: 'optional', training: true },
  /** Lower-cased, without a trailing dot. */
  destinationDomain: { kind: 'domain', presence: 'optional', training: true },
  filePath: { kind: 'path', presence: 'optional', training: true },
  fileHash: { kind: 'id', presence: 'optional', training: false },
  /** Numeric resource counters (cpu, memory, network bytes, ...). Default `{}`. */
  resourceUsage: { kind: 'resources', presence: 'defaulted', training: true },
  /** Free-form context, plus any unknown top-level input fields. Default `{}`. */
  metadata: { kind: 'metadata', presence: 'defaulted', training: false },
} as const satisfies Record<string, FieldSpec>;

type Fields = typeof FIELDS;

/** A canonical (camelCase) field name. */
export type EventField = keyof Fields;

/** What a parsed value of each kind is. */
interface ParsedValue {
  timestamp: Date;
  id: string;
  name: string;
  path: string;
  ip: string;
  domain: string;
  duration: number;
  count: number;
  boolean: boolean;
  resources: Record<string, number>;
  metadata: Record<string, unknown>;
}

/** What callers may give for each kind: the parsed value, or for a timestamp an ISO string or epoch ms. */
interface InputValue extends Omit<ParsedValue, 'timestamp'> {
  timestamp: Date | string | number;
}

type ValueOf<F extends EventField> = ParsedValue[Fields[F]['kind']];

/** Fields every parsed event holds (given or defaulted). */
export type PresentField = {
  [F in EventField]: Fields[F]['presence'] extends 'optional' ? never : F;
}[EventField];

/** Fields an event may lack. */
export type OptionalField = Exclude<EventField, PresentField>;

/** Fields input must hold. */
type RequiredField = { [F in EventField]: Fields[F]['presence'] extends 'required' ? F : never }[EventField];

/** Fields training copies keep. */
export type TrainingField = { [F in EventField]: Fields[F]['training'] extends true ? F : never }[EventField];

/** `durationMs` → `duration_ms` (as `snakeCase` does at run time). */
export type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
  : S;

/** `durationMs` → `duration_ms`: the spec's spelling of a canonical field. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

// The mapped types below run over `keyof Fields` (homomorphic), so that each derived property keeps the
// table's documentation.

/** The parsed event's fields: those always present, then the optional ones. */
export type ParsedEventFields = {
  -readonly [F in keyof Fields as F extends PresentField ? F : never]: ValueOf<F>;
} & {
  -readonly [F in keyof Fields as F extends OptionalField ? F : never]?: ValueOf<F>;
};

/** Every field in both spellings, each optional. */
export type EventInputFields = {
  -readonly [F in keyof Fields as F | SnakeCase<F>]?: InputValue[Fields[F]['kind']];
};

/**
 * Every canonical field in one fixed shape, `undefined` where absent (what the parsers fill before
 * the event is built); the required ones always set.
 */
export type CanonicalFields = { [F in RequiredField]: ValueOf<F> } & {
  [F in Exclude<EventField, RequiredField>]: ValueOf<F> | undefined;
};

/**
 * What a training copy is built from: the fields learning reads, and the id; `undefined` where absent,
 * so a literal of this type names every one.
 */
export type TrainingFields = { [F in TrainingField & PresentField]: ValueOf<F> } & {
  [F in Exclude<TrainingField, PresentField>]: ValueOf<F> | undefined;
};

/** The fields in table order, with their specs. */
export const FIELD_LIST = (Object.keys(FIELDS) as EventField[]).map((field) => ({ field, ...FIELDS[field] }));

/**
 * What callers may pass: every field in snake_case or camelCase, with its type. The type requires no
 * field and has no index signature, so that object literals, interfaces (a simulator's event type)
 * and records read from JSON (`Record<string, unknown>`) all fit, while a misspelled field in an
 * object literal is a compile error ("did you mean 'durationMs'?"). The parser checks the rest at run
 * time, with a `ValidationError` naming the field: `timestamp` and `event_type`/`eventType` are
 * required there, and unknown fields (from JSON, or in a variable rather than a literal) are kept in
 * `metadata`.
 */
export interface SecurityEventInput extends EventInputFields {}
