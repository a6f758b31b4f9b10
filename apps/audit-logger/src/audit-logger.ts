// The audit logger: validate, redact, commit to the store, then tell the plugins. On SQLite (the
// default) `log` is synchronous and returns once the event is committed; on PostgreSQL it returns a
// promise, and commits run one after the other in the order of the calls. Plugins hear of an event
// after its commit, in that order, and must not block.
import { randomUUID } from 'node:crypto';
import { describeValue, parseOrThrow } from '@harombe/models';
import { parseSecurityEvent, type SecurityEvent } from '@harombe/security-ml';
import { z } from 'zod';
import type {
  Alert,
  AlertQuery,
  AlertStatus,
  AuditStore,
  Awaitable,
  IncidentListQuery,
  IncidentRecord,
  IncidentVerdict,
  InsertedEvent,
  LoggedEvent,
  NewEventRow,
  ToolCallRecord,
} from './audit-store.js';
import { AuditInputError } from './errors.js';
import {
  type PostgresAuditStore,
  type PostgresConnection,
  PostgresConnectionSchema,
} from './postgres-store.js';
import { type JsonValue, redactText, redactValue } from './redact.js';
import type { Durability, SqliteAuditStore } from './sqlite-store.js';
import { eventRow, rowToEvent } from './store-rows.js';
import { openAuditStore, type StoreLocation } from './stores.js';

/** Something that hears of every committed event: alerting, forwarding, metrics. */
export interface AuditPlugin {
  readonly name: string;
  /** Called once when the logger opens, before the first event. */
  attach?(logger: AuditLogger<AuditStore>): Promise<void> | void;
  /** Called after each event is committed. Must return quickly; errors are caught and reported. */
  onEvent(event: LoggedEvent): void;
  /** Called by `AuditLogger.close`. */
  close?(): Promise<void> | void;
}

interface CommonOptions {
  readonly plugins?: readonly AuditPlugin[];
  /** Wall clock for `logged_at` and alert times. Default `Date.now`. */
  readonly clock?: () => number;
  /** Where plugin errors go. Default: standard error. */
  readonly onPluginError?: (plugin: string, error: unknown) => void;
}

/** The default: a SQLite file on this machine. `log` and the queries answer synchronously. */
export interface SqliteLoggerOptions extends CommonOptions {
  /** The SQLite database file (created if missing). */
  readonly path: string;
  /** Default `normal`; see {@link Durability}. */
  readonly durability?: Durability;
  readonly postgres?: undefined;
}

/**
 * PostgreSQL, shared by several processes (loggers, detection, the CLI): `log` and the queries
 * return promises; events are committed in the order `log` was called.
 */
export interface PostgresLoggerOptions extends CommonOptions {
  readonly postgres: PostgresConnection;
  readonly path?: undefined;
  readonly durability?: undefined;
}

/** Either store: `path` (SQLite) or `postgres`. */
export type AuditLoggerOptions = SqliteLoggerOptions | PostgresLoggerOptions;

const AuditLoggerOptionsSchema = z
  .object({
    path: z.string().min(1).optional(),
    postgres: PostgresConnectionSchema.optional(),
    durability: z.enum(['normal', 'full']).optional(),
    plugins: z.array(z.object({ name: z.string().min(1) }).passthrough()).optional(),
    clock: z.custom<() => number>((v) => typeof v === 'function', 'expected a function').optional(),
    onPluginError: z.custom((v) => typeof v === 'function', 'expected a function').optional(),
  })
  .strict()
  .refine((o) => (o.path === undefined) !== (o.postgres === undefined), {
    message: 'give exactly one of path (SQLite) and postgres',
  })
  .refine((o) => o.durability === undefined || o.path !== undefined, {
    message: 'durability is a SQLite option',
    path: ['durability'],
  });

/**
 * What a logger's method answers: at once on SQLite, a promise on PostgreSQL, either when the
 * store is not known (`AuditLogger` without its type argument).
 */
export type Answer<S extends AuditStore, T> = S extends SqliteAuditStore
  ? T
  : S extends PostgresAuditStore
    ? Promise<T>
    : Awaitable<T>;

/** `next` of a value that may be a promise: called at once on a value, after it on a promise. */
export function andThen<A, B>(value: Awaitable<A>, next: (value: A) => Awaitable<B>): Awaitable<B> {
  return value instanceof Promise ? value.then(next) : next(value);
}

export interface ToolCallDetails {
  /** The call's arguments; redacted and bounded before storage (see `redactValue`). */
  readonly arguments?: unknown;
}

/**
 * The audit logger on a store `S`: `SqliteAuditStore` by default (the type of `AuditLogger` alone,
 * whose methods answer at once), `PostgresAuditStore` (promises), or `AuditStore` (either).
 */
export class AuditLogger<S extends AuditStore = SqliteAuditStore> {
  readonly store: S;
  /** Where the store is: `{ path }` (SQLite) or `{ postgres }`, for plugins that open their own. */
  readonly location: StoreLocation;
  readonly clock: () => number;
  private readonly plugins: readonly AuditPlugin[];
  private readonly onPluginError: (plugin: string, error: unknown) => void;
  /** PostgreSQL: the last commit asked for; the next one waits for it, so events commit in order. */
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(store: S, location: StoreLocation, options: AuditLoggerOptions) {
    this.store = store;
    this.location = location;
    this.clock = options.clock ?? Date.now;
    this.plugins = options.plugins ?? [];
    this.onPluginError =
      options.onPluginError ??
      ((plugin, error) => process.stderr.write(`audit plugin ${plugin}: ${(error as Error).message}\n`));
  }

  /** The SQLite file, or undefined on PostgreSQL. */
  get path(): S extends SqliteAuditStore ? string : string | undefined {
    return ('path' in this.location ? this.location.path : undefined) as S extends SqliteAuditStore
      ? string
      : string | undefined;
  }

  /**
   * Opens the store (creating or migrating it) and attaches the plugins.
   * @throws {ValidationError} bad options (both or neither of `path` and `postgres`, naming them).
   */
  static open(options: SqliteLoggerOptions): Promise<AuditLogger<SqliteAuditStore>>;
  static open(options: PostgresLoggerOptions): Promise<AuditLogger<PostgresAuditStore>>;
  static open(options: AuditLoggerOptions): Promise<AuditLogger<AuditStore>>;
  static async open(options: AuditLoggerOptions): Promise<AuditLogger<AuditStore>> {
    parseOrThrow(AuditLoggerOptionsSchema, options, 'AuditLogger options');
    const location: StoreLocation =
      options.postgres === undefined ? { path: options.path } : { postgres: options.postgres };
    const store = await openAuditStore(
      location,
      options.durability ? { durability: options.durability } : {},
    );
    const logger = new AuditLogger(store, location, options);
    try {
      for (const plugin of logger.plugins) await plugin.attach?.(logger);
    } catch (error) {
      await logger.close();
      throw error;
    }
    return logger;
  }

  /**
   * Validates, redacts and commits an event, then notifies the plugins. An event without an id gets
   * one. Returns the stored event: at once on SQLite; on PostgreSQL a promise, settled once it is
   * committed (events commit, and plugins hear of them, in the order of the calls). Nothing is
   * stored when it throws (or rejects).
   * @throws {ValidationError} an invalid event.
   * @throws {AuditInputError} a BigInt in the metadata or the tool call's arguments (`AUDIT_NOT_JSON`),
   *   a cycle in the arguments (`AUDIT_CYCLIC`; the parser cuts metadata at its depth), or an event
   *   id already in the log (`AUDIT_DUPLICATE_EVENT_ID`: the stored event stays as it was); the
   *   message names the field.
   */
  log(input: unknown, toolCall?: ToolCallDetails): Answer<S, LoggedEvent> {
    let row: NewEventRow;
    let call: ToolCallRecord | undefined;
    try {
      ({ row, call } = prepareEvent(input, toolCall));
    } catch (error) {
      if (this.store.engine === 'sqlite') throw error;
      return Promise.reject(error) as Answer<S, LoggedEvent>;
    }
    const insert = () => this.store.insertEvent(row, this.clock(), call);
    const committed = (inserted: InsertedEvent) => this.committed(row, inserted);
    if (this.store.engine === 'sqlite') return committed(insert() as InsertedEvent) as Answer<S, LoggedEvent>;
    const logged = this.writes.then(insert).then(committed);
    this.writes = logged.catch(() => undefined);
    return logged as Answer<S, LoggedEvent>;
  }

  /** The stored event, announced to the plugins; a duplicate event id is the caller's error. */
  private committed(row: NewEventRow, inserted: InsertedEvent): LoggedEvent {
    if (inserted.duplicate) {
      const problem = `${describeValue(row.event_id)} is already in the log`;
      throw new AuditInputError('AUDIT_DUPLICATE_EVENT_ID', 'event.event_id', problem);
    }
    const logged: LoggedEvent = {
      id: inserted.id,
      eventId: row.event_id,
      actor: row.actor,
      timestamp: row.timestamp,
      event: rowToEvent(row),
    };
    for (const plugin of this.plugins) {
      try {
        plugin.onEvent(logged);
      } catch (error) {
        this.onPluginError(plugin.name, error);
      }
    }
    return logged;
  }

  /** Alerts, most serious first (smallest tail probability). */
  alerts(query: AlertQuery = {}): Answer<S, Alert[]> {
    return this.store.alerts(query) as Answer<S, Alert[]>;
  }

  /** Incidents and campaigns, most serious first (smallest tail probability, then latest). */
  incidents(query: IncidentListQuery = {}): Answer<S, IncidentRecord[]> {
    return this.store.incidents(query) as Answer<S, IncidentRecord[]>;
  }

  /** One incident (or campaign) with its alerts, most serious first; undefined when unknown. */
  incident(id: string): Answer<S, { incident: IncidentRecord; alerts: Alert[] } | undefined> {
    return andThen(this.store.incident(id), (incident) =>
      incident ? andThen(this.store.incidentAlerts(id), (alerts) => ({ incident, alerts })) : undefined,
    ) as Answer<S, { incident: IncidentRecord; alerts: Alert[] } | undefined>;
  }

  /**
   * Resolves an incident: its next alerts open a new one. With a verdict, its open alerts become
   * false positives (`normal`: the detector learns each event as normal) or confirmed (`anomaly`).
   * Plugins apply it to their detectors, as they apply alert feedback.
   * @returns false when there is no such incident.
   */
  resolveIncident(id: string, verdict?: IncidentVerdict): Answer<S, boolean> {
    return this.store.resolveIncident(id, verdict, this.clock()) as Answer<S, boolean>;
  }

  /**
   * An analyst's verdict on an alert: `false_positive` (the event was normal: the detector learns
   * it) or `confirmed` (it stays an anomaly). Plugins apply it to their detectors.
   * @returns false when there is no such alert.
   */
  feedback(alertId: number, verdict: Exclude<AlertStatus, 'open'>): Answer<S, boolean> {
    return this.store.setFeedback(alertId, verdict, this.clock()) as Answer<S, boolean>;
  }

  /** Waits for the events being committed, closes the plugins, then the store. */
  async close(): Promise<void> {
    await this.writes;
    for (const plugin of this.plugins) {
      try {
        await plugin.close?.();
      } catch (error) {
        this.onPluginError(plugin.name, error);
      }
    }
    await this.store.close();
  }
}

/** The row of an event and its tool call, validated and redacted. */
function prepareEvent(
  input: unknown,
  toolCall?: ToolCallDetails,
): { row: NewEventRow; call?: ToolCallRecord } {
  const event = redactEvent(parseSecurityEvent(input));
  const row = eventRow(event);
  if (!toolCall || !event.toolName) return { row };
  return {
    row,
    call: {
      toolName: event.toolName,
      arguments: redactValue(toolCall.arguments ?? {}, 'toolCall.arguments'),
      success: event.success,
      ...(event.durationMs === undefined ? {} : { durationMs: event.durationMs }),
    },
  };
}

/** The event with secrets replaced in its free-text fields and metadata, and an id. */
function redactEvent(event: SecurityEvent): SecurityEvent {
  return {
    ...event,
    eventId: event.eventId ?? randomUUID(),
    status: redactText(event.status),
    // Metadata is always a record (the parser makes it one), so its redacted copy is one too.
    metadata: redactValue(event.metadata, 'event.metadata') as Record<string, JsonValue>,
    ...(event.action === undefined ? {} : { action: redactText(event.action) }),
    ...(event.filePath === undefined ? {} : { filePath: redactText(event.filePath) }),
  };
}
