// The gateway's configuration: one zod schema, so a bad config file fails at start-up with the field
// and the problem named, and every default is written down once.
import { readFile } from 'node:fs/promises';
import { parseOrThrow, SensitiveLocationSchema } from '@harombe/models';
import { AgentIdSchema, ThreatLevelSchema } from '@harombe/security-ml';
import { z } from 'zod';

const AgentSchema = z
  .object({
    agentId: AgentIdSchema,
    /** The bearer token this agent presents (at least 16 characters). */
    token: z.string().min(16).max(4096).optional(),
    /** Or its SHA-256 in hex, so the config file need not hold the secret. */
    tokenSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/i, 'expected 64 hex digits')
      .optional(),
    /** The agent's IANA time zone, for hours and weekdays when it is trained from history. */
    timeZone: z.string().min(1).optional(),
  })
  .strict()
  .refine((a) => (a.token === undefined) !== (a.tokenSha256 === undefined), {
    message: 'give exactly one of token and tokenSha256',
  });

const UpstreamSchema = z
  .object({
    /** A name for logs and metrics. */
    name: z.string().min(1).max(64),
    /** The upstream MCP server's Streamable HTTP endpoint. */
    url: z.url(),
    /** Prepended to the upstream's tool names (`prefix + name`), to keep names from colliding. */
    prefix: z.string().max(64).default(''),
    /** Extra HTTP headers for the upstream (e.g. its own authorization). */
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();

const ToolMappingSchema = z
  .object({
    /** The event type recorded for calls of this tool. Default `tool_call`. */
    eventType: z.string().min(1).max(256).optional(),
    /**
     * What the tool's path argument names: a `file` (its location is the directory that holds it)
     * or a `directory` (its location is the directory itself, as for a listing). Default `file`.
     */
    pathKind: z.enum(['file', 'directory']).default('file'),
  })
  .strict();

/** The default per-agent share of `sessions.max`: a tenth, at least one. */
function defaultMaxSessionsPerAgent(max: number): number {
  return Math.max(1, Math.ceil(max / 10));
}

const SessionsSchema = z
  .object({
    /** Open MCP sessions at most; initialisations beyond it get HTTP 503. */
    max: z.number().int().min(1).default(1000),
    /**
     * Open MCP sessions per agent at most; beyond it that agent gets HTTP 429 while the others still
     * connect, so one token cannot take every session. Default: a tenth of `max` (100), at least 1.
     */
    maxPerAgent: z.number().int().min(1).optional(),
    /** Sessions idle this long are closed. */
    idleMinutes: z.number().positive().default(30),
  })
  .strict()
  .refine((s) => s.maxPerAgent === undefined || s.maxPerAgent <= s.max, {
    path: ['maxPerAgent'],
    message: 'expected at most sessions.max',
  })
  .transform((s) => ({
    max: s.max,
    maxPerAgent: s.maxPerAgent ?? defaultMaxSessionsPerAgent(s.max),
    idleMinutes: s.idleMinutes,
  }));

/** The text a denied call's result carries; `{tool}` is replaced by the tool's name. */
export const DEFAULT_DENIED_TEXT =
  'Denied by the harombe gateway: this call to {tool} is not allowed. The denial applies to this call only.';
/** The text a throttled call's result carries; `{tool}` and `{seconds}` are replaced. */
export const DEFAULT_THROTTLED_TEXT =
  'Throttled by the harombe gateway: calls of this agent are paused. Retry after {seconds} seconds.';

const ResponsesSchema = z
  .object({
    /**
     * How long a state anomaly (calls or failures per hour unusual, nothing about the call itself)
     * pauses the agent's calls, in seconds. Calls succeed again after it.
     */
    throttleSeconds: z.number().int().min(1).max(86_400).default(60),
    /**
     * An incident of the agent (the detector's) whose last alert is at most this many minutes before
     * the call, in event time, counts as open: a new destination is then denied.
     */
    incidentMinutes: z.number().positive().max(10_080).default(60),
    /** Deny reads of credential and secret locations (the catalogue) the agent has not established reading. */
    denySensitiveLocations: z.boolean().default(true),
    /** Deny tools the agent has not used within its baseline window (agents with a baseline only). */
    denyNewTools: z.boolean().default(true),
    /** Deny destinations new to the agent while it has an open incident. */
    denyNewDestinationsDuringIncident: z.boolean().default(true),
    /** Entries added to the default sensitive-location catalogue (an id already in it is replaced). */
    sensitiveLocations: z.array(SensitiveLocationSchema).max(1000).default([]),
    /** What a denied call's result says (`{tool}`). Generic on purpose: it reaches a possibly hijacked agent. */
    deniedText: z.string().min(1).max(2000).default(DEFAULT_DENIED_TEXT),
    /** What a throttled call's result says (`{tool}`, `{seconds}`). */
    throttledText: z.string().min(1).max(2000).default(DEFAULT_THROTTLED_TEXT),
    /**
     * Put the reasons (level, score, tail probability, explanation, rules) in the result's `_meta`
     * too. Off by default: they tell an agent what to change to get through. The logs always have them.
     */
    reasonsInMeta: z.boolean().default(false),
  })
  .strict();

const HealthSchema = z
  .object({
    /** An upstream that does not answer a ping within this many milliseconds counts as down. */
    probeTimeoutMs: z.number().int().min(1).max(60_000).default(1000),
    /** `/healthz` probes an upstream at most this often; in between it reports the last state seen. */
    probeIntervalMs: z.number().int().min(0).max(3_600_000).default(5000),
  })
  .strict();

/** Names that may go into SQL as a schema (as `@harombe/store-postgres` checks them). */
const SqlIdentifierSchema = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63)');

/**
 * Multi-node mode (off without it): models and a per-agent call log in PostgreSQL, each agent's
 * state in the replica nginx routes it to, rebuilt exactly by any other replica (see the README).
 */
const ClusterSchema = z
  .object({
    postgres: z
      .object({
        /** `postgres://user:password@host:port/database`. */
        connectionString: z.string().min(1),
        /** The schema of the tables (created when missing). Default: the connection's `search_path`. */
        schema: SqlIdentifierSchema.optional(),
        /** Connections of this replica's pool at most. */
        poolSize: z.number().int().min(2).max(200).default(10),
      })
      .strict(),
    /** This replica's name: stored with every log entry and checkpoint it writes. Unique per replica. */
    replicaId: z.string().min(1).max(200),
    /** Checkpoint an agent's model once this many log entries were appended since its last one. */
    checkpointEvery: z.number().int().min(1).max(1_000_000).default(1000),
    /** How long a call waits for its agent's state (checkpoint loaded, log replayed) before `loadFailurePolicy` decides. */
    loadBudgetMs: z.number().positive().max(60_000).default(50),
    /**
     * A call whose agent's state is not ready within `loadBudgetMs` (or failed to load):
     * `fleet-model` decides with the fleet model (deny at `detection.denyAt`; no fleet model: deny),
     * `closed` denies, `open` lets it through unassessed.
     */
    loadFailurePolicy: z.enum(['fleet-model', 'closed', 'open']).default('fleet-model'),
    /** Group commit: appends wait at most this long (ms) for others to share their transaction. */
    commitWindowMs: z.number().min(0).max(1000).default(2),
    /** Group commit: a transaction takes at most this many agents' appends (then commits at once). */
    commitBatchSize: z.number().int().min(1).max(10_000).default(64),
    /** Agents held in memory at most; beyond it the least recently used are checkpointed and dropped. */
    maxAgents: z.number().int().min(1).max(1_000_000).default(10_000),
    /**
     * Which tool answers the log keeps (in plaintext, up to 64 KB each) for retries: `idempotent`
     * (default) only those of calls that carry an idempotency key (the client asked for its retry to
     * get the same answer), `never` none (a retry then gets a generic text, the tool still not run
     * twice). Answers can hold what the tool read: keep them only where the log is protected so.
     */
    keepAnswers: z.enum(['idempotent', 'never']).default('idempotent'),
  })
  .strict();

const TestingSchema = z
  .object({
    /**
     * Test harnesses only, never in production: take the call's event (time, type, tool, outcome)
     * from the request's `_meta["io.harombe/simulated-event"]` instead of building it, so a simulated
     * fleet can be replayed through real gateways. An agent could then choose its own event.
     */
    simulatedEvents: z.boolean().default(false),
  })
  .strict();

export const GatewayConfigSchema = z
  .object({
    /** Where the gateway listens. Loopback by default, with DNS-rebinding protection. */
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(7800),
    /** Host names accepted in the Host header when listening on a non-loopback address. */
    allowedHosts: z.array(z.string().min(1)).optional(),
    /** Which bearer token is which agent. Identity never comes from a header the agent may set. */
    agents: z.array(AgentSchema).min(1),
    upstreams: z.array(UpstreamSchema).min(1),
    detection: z
      .object({
        /** `enforce`: deny calls at `denyAt` or above. `shadow`: assess and log, never deny. */
        mode: z.enum(['enforce', 'shadow']).default('enforce'),
        /** The lowest threat level that is denied. */
        denyAt: ThreatLevelSchema.default('high'),
        /**
         * When detection fails (throws, has no model to score with, or cannot load the agent's
         * model within the budget): `closed` denies the call, `open` lets it through.
         */
        failurePolicy: z.enum(['closed', 'open']).default('closed'),
        /**
         * An agent with no model of its own is scored by the fleet model (trained from `history`, or
         * the one `harombe-ml train` saved in the store) and marked cold start, as in the CLI and the
         * audit logger. Where there is no fleet model either: `fail` denies its calls, `warn` lets
         * them through with a warning in the log, `skip` lets them through silently.
         */
        unknownAgents: z.enum(['fail', 'warn', 'skip']).default('fail'),
        /** Budget for the detection step, including loading the agent's model on demand. */
        latencyBudgetMs: z.number().positive().max(60_000).default(50),
        contamination: z.number().gt(0).max(0.5).default(0.01),
        seed: z.number().int().min(0).default(42),
        /** Persisted models (`ThreatDetector.save`); default `~/.harombe/models`. */
        modelDir: z.string().min(1).optional(),
        /** A JSONL history (one event per line, with `agent_id`) to train agents on at start-up. */
        history: z.string().min(1).optional(),
        /** Save every agent's model (forest and learned baseline) when the gateway closes. */
        saveOnClose: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    events: z
      .object({
        /** Tool arguments read as a file path (the first present wins). */
        pathArguments: z
          .array(z.string().min(1))
          .default(['path', 'file_path', 'file', 'filename', 'directory']),
        /** Tool arguments read as a URL; its host becomes the event's destination. */
        urlArguments: z.array(z.string().min(1)).default(['url', 'uri', 'href', 'endpoint']),
        /** Per-tool settings by the name the gateway exposes. */
        tools: z.record(z.string(), ToolMappingSchema).default({}),
      })
      .strict()
      .prefault({}),
    sessions: SessionsSchema.prefault({}),
    responses: ResponsesSchema.prefault({}),
    health: HealthSchema.prefault({}),
    /** Multi-node mode (PostgreSQL, per-agent log, exact replay). Off when absent. */
    cluster: ClusterSchema.optional(),
    testing: TestingSchema.prefault({}),
  })
  .strict()
  .superRefine((config, context) => {
    if (config.cluster && config.detection.history) {
      context.addIssue({
        code: 'custom',
        path: ['detection', 'history'],
        message:
          'not with cluster: replicas load models from PostgreSQL; train them once with `harombe-gateway seed`',
      });
    }
    const seen = new Set<string>();
    config.agents.forEach((agent, index) => {
      if (seen.has(agent.agentId)) {
        context.addIssue({
          code: 'custom',
          path: ['agents', index, 'agentId'],
          message: `agent ${agent.agentId} is configured twice`,
        });
      }
      seen.add(agent.agentId);
    });
  });

export type GatewayConfig = z.output<typeof GatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof GatewayConfigSchema>;
export type DetectionConfig = GatewayConfig['detection'];
export type EventConfig = GatewayConfig['events'];
export type ResponseConfig = GatewayConfig['responses'];
export type HealthConfig = GatewayConfig['health'];
export type ClusterConfig = NonNullable<GatewayConfig['cluster']>;

/**
 * Validates a configuration and fills in the defaults.
 * @throws {ValidationError} naming each bad field, e.g. `gateway config.agents.0.token: ...`.
 */
export function parseGatewayConfig(input: unknown): GatewayConfig {
  return parseOrThrow(GatewayConfigSchema, input, 'gateway config');
}

/** Reads and validates a JSON configuration file. */
export async function readGatewayConfig(path: string): Promise<GatewayConfig> {
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`gateway config ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseGatewayConfig(json);
}
