// The audit logger: validate, redact, commit to SQLite, then tell the plugins. `log` is synchronous
// and returns once the event is committed; plugins hear of it afterwards and must not block.
import { randomUUID } from 'node:crypto';
import { parseOrThrow } from '@harombe/models';
import { parseSecurityEvent, type SecurityEvent } from '@harombe/security-ml';
import { z } from 'zod';
import { type JsonValue, redactText, redactValue } from './redact.js';
import {
  type Alert,
  type AlertQuery,
  type AlertStatus,
  AuditStore,
  type Durability,
  eventRow,
  type IncidentListQuery,
  type IncidentRecord,
  type IncidentVerdict,
  type LoggedEvent,
  rowToEvent,
} from './store.js';

/** Something that hears of every committed event: alerting, forwarding, metrics. */
export interface AuditPlugin {
  readonly name: string;
  /** Called once when the logger opens, before the first event. */
  attach?(logger: AuditLogger): Promise<void> | void;
  /** Called after each event is committed. Must return quickly; errors are caught and reported. */
  onEvent(event: LoggedEvent): void;
  /** Called by `AuditLogger.close`. */
  close?(): Promise<void> | void;
}

export interface AuditLoggerOptions {
  /** The SQLite database file (created if missing). */
  readonly path: string;
  /** Default `normal`; see {@link Durability}. */
  readonly durability?: Durability;
  readonly plugins?: readonly AuditPlugin[];
  /** Wall clock for `logged_at` and alert times. Default `Date.now`. */
  readonly clock?: () => number;
  /** Where plugin errors go. Default: standard error. */
  readonly onPluginError?: (plugin: string, error: unknown) => void;
}

const AuditLoggerOptionsSchema = z
  .object({
    path: z.string().min(1),
    durability: z.enum(['normal', 'full']).optional(),
    plugins: z.array(z.object({ name: z.string().min(1) }).passthrough()).optional(),
    clock: z.custom<() => number>((v) => typeof v === 'function', 'expected a function').optional(),
    onPluginError: z.custom((v) => typeof v === 'function', 'expected a function').optional(),
  })
  .strict();

export interface ToolCallDetails {
  /** The call's arguments; redacted and bounded before storage (see `redactValue`). */
  readonly arguments?: unknown;
}

export class AuditLogger {
  readonly store: AuditStore;
  readonly path: string;
  readonly clock: () => number;
  private readonly plugins: readonly AuditPlugin[];
  private readonly onPluginError: (plugin: string, error: unknown) => void;

  private constructor(options: AuditLoggerOptions) {
    parseOrThrow(AuditLoggerOptionsSchema, options, 'AuditLogger options');
    this.path = options.path;
    this.store = AuditStore.open(options.path, options.durability ? { durability: options.durability } : {});
    this.clock = options.clock ?? Date.now;
    this.plugins = options.plugins ?? [];
    this.onPluginError =
      options.onPluginError ??
      ((plugin, error) => process.stderr.write(`audit plugin ${plugin}: ${(error as Error).message}\n`));
  }

  /** Opens the database (migrating it) and attaches the plugins. */
  static async open(options: AuditLoggerOptions): Promise<AuditLogger> {
    const logger = new AuditLogger(options);
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
   * one. Returns the stored event. Nothing is stored when it throws.
   * @throws {ValidationError} an invalid event.
   * @throws {AuditInputError} a BigInt in the metadata or the tool call's arguments (`AUDIT_NOT_JSON`),
   *   a cycle in the arguments (`AUDIT_CYCLIC`; the parser cuts metadata at its depth), or an event
   *   id already in the log (`AUDIT_DUPLICATE_EVENT_ID`); the message names the field.
   */
  log(input: unknown, toolCall?: ToolCallDetails): LoggedEvent {
    const event = redactEvent(parseSecurityEvent(input));
    const row = eventRow(event);
    const id = this.store.insertEvent(
      row,
      this.clock(),
      toolCall && event.toolName
        ? {
            toolName: event.toolName,
            arguments: redactValue(toolCall.arguments ?? {}, 'toolCall.arguments'),
            success: event.success,
            ...(event.durationMs === undefined ? {} : { durationMs: event.durationMs }),
          }
        : undefined,
    );
    const logged: LoggedEvent = {
      id,
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
  alerts(query: AlertQuery = {}) {
    return this.store.alerts(query);
  }

  /** Incidents and campaigns, most serious first (smallest tail probability, then latest). */
  incidents(query: IncidentListQuery = {}) {
    return this.store.incidents(query);
  }

  /** One incident (or campaign) with its alerts, most serious first; undefined when unknown. */
  incident(id: string): { incident: IncidentRecord; alerts: Alert[] } | undefined {
    const incident = this.store.incident(id);
    return incident && { incident, alerts: this.store.incidentAlerts(id) };
  }

  /**
   * Resolves an incident: its next alerts open a new one. With a verdict, its open alerts become
   * false positives (`normal`: the detector learns each event as normal) or confirmed (`anomaly`).
   * Plugins apply it to their detectors, as they apply alert feedback.
   * @returns false when there is no such incident.
   */
  resolveIncident(id: string, verdict?: IncidentVerdict): boolean {
    return this.store.resolveIncident(id, verdict, this.clock());
  }

  /**
   * An analyst's verdict on an alert: `false_positive` (the event was normal: the detector learns
   * it) or `confirmed` (it stays an anomaly). Plugins apply it to their detectors.
   * @returns false when there is no such alert.
   */
  feedback(alertId: number, verdict: Exclude<AlertStatus, 'open'>): boolean {
    return this.store.setFeedback(alertId, verdict, this.clock());
  }

  async close(): Promise<void> {
    for (const plugin of this.plugins) {
      try {
        await plugin.close?.();
      } catch (error) {
        this.onPluginError(plugin.name, error);
      }
    }
    this.store.close();
  }
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
