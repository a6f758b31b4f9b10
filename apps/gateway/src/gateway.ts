// The MCP gateway: agents connect over Streamable HTTP with a bearer token; the gateway offers the
// upstream servers' tools, assesses every tools/call with ThreatDetector before forwarding it,
// responds in proportion (enforce mode: deny a risky call, pause an agent whose state is unusual),
// and records how each call that reached its tool went.
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ModelStore } from '@harombe/models';
import type { SecurityEventInput, ThreatDetector } from '@harombe/security-ml';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { IsomorphicHeaders } from '@modelcontextprotocol/sdk/types.js';
import {
  type CallToolRequest,
  CallToolRequestSchema,
  type CallToolResult,
  CallToolResultSchema,
  ErrorCode,
  isInitializeRequest,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import type { Express, Request, Response } from 'express';
import { type Logger, pino } from 'pino';
import packageJson from '../package.json' with { type: 'json' };
import { callKey, keptAnswer, type LogPayload } from './cluster/log-entries.js';
import { ClusterNode } from './cluster/node.js';
import { type ClusterStores, openClusterStores, prepareClusterModels } from './cluster/stores.js';
import { type GatewayConfig, type GatewayConfigInput, parseGatewayConfig } from './config.js';
import type { CallOutcomeKind, DecisionRecord, DecisionSink } from './decision-sink.js';
import { type CallContext, completedEvent, toolCallEvent } from './events.js';
import { type CallDecision, CallGuard, type OutcomeRecord } from './guard.js';
import {
  JSON_RPC_INTERNAL_ERROR,
  JSON_RPC_SERVER_ERROR,
  jsonRpcError,
  requestErrorHandler,
} from './http-errors.js';
import { StaticTokenVerifier } from './identity.js';
import { GatewayMetrics } from './metrics.js';
import { createDetector, type ModelSummary, prepareModels } from './models.js';
import { type SessionSlot, SessionTable } from './sessions.js';
import { agentsFault, UpstreamPool } from './upstreams.js';

export const GATEWAY_VERSION: string = packageJson.version;
/** The `_meta` key under which refused (and shadow-flagged) results carry the gateway's decision. */
export const DECISION_META_KEY = 'io.harombe/decision';
/**
 * The `_meta` key (in `tools/call` params) of a call's idempotency key: a retry with the same key
 * gets the committed call's answer without running the tool again (multi-node mode). The HTTP header
 * {@link IDEMPOTENCY_KEY_HEADER} works too. At most 200 characters; scoped to the agent.
 */
export const IDEMPOTENCY_KEY_META_KEY = 'io.harombe/idempotency-key';
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** The `_meta` key of a simulated event (only with `testing.simulatedEvents`). */
export const SIMULATED_EVENT_META_KEY = 'io.harombe/simulated-event';

export interface GatewayDependencies {
  /** The detector to use; default one built from `config.detection`. */
  threats?: ThreatDetector;
  /** Default: pino to standard output at `info`. */
  logger?: Logger;
  /** The gateway's time: event timestamps, pauses and incident windows. Default: the system clock. */
  clock?: () => Date;
  /** Default: a fresh registry with process metrics. */
  metrics?: GatewayMetrics;
  /** Receives every call and decision (for example the audit logger's store). Default: none. */
  decisions?: DecisionSink;
}

/** Who made a call, and which call: what every log line and record about it carries. */
interface LoggedCall extends CallContext {
  readonly tool: string;
  readonly upstream: string;
}

/** A call's event before it is decided, at gateway time `nowMs`; `completed`: its given outcome (tests). */
interface PreparedCall {
  readonly event: SecurityEventInput;
  readonly nowMs: number;
  readonly completed?: SecurityEventInput;
}

/** A decided call after it ran (or was refused). */
interface ExecutedCall {
  /** What the agent gets. */
  readonly answer: CallToolResult;
  readonly outcome: CallOutcomeKind;
  /** The event with its outcome when it reached the tool; as assessed otherwise. */
  readonly completed: SecurityEventInput;
  /** Whether the tool ran (refused calls and upstream outages are not the agent's doing). */
  readonly reachedTool: boolean;
}

interface Session {
  readonly agentId: string;
  readonly transport: StreamableHTTPServerTransport;
  readonly server: Server;
  lastActive: number;
  open: number;
}

type AuthedRequest = Request & { auth?: AuthInfo };

export class Gateway {
  readonly app: Express;
  readonly config: GatewayConfig;
  readonly threats: ThreatDetector;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly models: ModelSummary;
  private readonly guard: CallGuard;
  /** Multi-node mode: this replica's part (loads, log, checkpoints). */
  private readonly cluster: ClusterNode | undefined;
  /** Multi-node mode: the fleet model alone, for calls whose agent is not loaded in time. */
  private readonly fleet: ThreatDetector | undefined;
  private readonly sessions: SessionTable<Session>;
  private readonly reaper: NodeJS.Timeout;
  private http: HttpServer | undefined;
  private readonly stores: ClusterStores | undefined;

  private constructor(
    config: GatewayConfig,
    verifier: StaticTokenVerifier,
    private readonly upstreams: UpstreamPool,
    threats: ThreatDetector,
    models: ModelSummary,
    private readonly clock: () => Date,
    logger: Logger,
    metrics: GatewayMetrics,
    private readonly sink: DecisionSink | undefined,
    stores: ClusterStores | undefined,
  ) {
    this.config = config;
    this.threats = threats;
    this.models = models;
    this.logger = logger;
    this.metrics = metrics;
    this.guard = new CallGuard(threats, config, metrics, logger);
    if (stores && config.cluster) {
      this.cluster = new ClusterNode({
        config: config.cluster,
        threats,
        guard: this.guard,
        models: stores.models,
        log: stores.log,
        logger,
        metrics,
      });
      this.fleet = stores.fleet;
      this.stores = stores;
    }
    this.sessions = new SessionTable(config.sessions);
    this.app = this.routes(verifier);
    const idleMs = config.sessions.idleMinutes * 60_000;
    this.reaper = setInterval(() => this.closeIdleSessions(idleMs), Math.min(idleMs, 60_000));
    this.reaper.unref();
  }

  /**
   * Validates the configuration, connects to the upstreams, prepares every agent's model (load or
   * train from history) and returns a gateway ready to `listen`.
   * @throws {ValidationError} a bad configuration. @throws {Error} an unreachable upstream.
   */
  static async create(input: GatewayConfigInput, dependencies: GatewayDependencies = {}): Promise<Gateway> {
    const config = parseGatewayConfig(input);
    const logger = dependencies.logger ?? pino({ name: 'harombe-gateway' });
    const metrics = dependencies.metrics ?? new GatewayMetrics({ processMetrics: true });
    // Identity is checked before anything is connected: a bad token table fails fast.
    const verifier = new StaticTokenVerifier(config.agents);
    const detectorOf = (store?: ModelStore) => createDetector(config, store);
    const stores = config.cluster ? await openClusterStores(config.cluster, detectorOf) : undefined;
    let threats: ThreatDetector;
    let models: ModelSummary;
    if (stores) {
      // Agents are loaded (and replayed) on first sight by the cluster node; here only the fleet model.
      threats = dependencies.threats ?? detectorOf(stores.fleetStore);
      models = await prepareClusterModels(threats, stores);
    } else {
      threats = dependencies.threats ?? detectorOf();
      models = await prepareModels(threats, config, logger);
    }
    logger.info(
      { trained: models.trained.length, loaded: models.loaded, coldStart: models.coldStart },
      'models ready',
    );
    const upstreams = await UpstreamPool.connect(config.upstreams, GATEWAY_VERSION);
    logger.info(
      { upstreams: config.upstreams.map((u) => u.name), tools: upstreams.tools.map((t) => t.name) },
      'upstreams connected',
    );
    const clock = dependencies.clock ?? (() => new Date());
    return new Gateway(
      config,
      verifier,
      upstreams,
      threats,
      models,
      clock,
      logger,
      metrics,
      dependencies.decisions,
      stores,
    );
  }

  /** Starts listening; resolves to the MCP endpoint's URL. */
  async listen(): Promise<URL> {
    const server = await new Promise<HttpServer>((resolve, reject) => {
      const s = this.app.listen(this.config.port, this.config.host, (error?: Error) =>
        error ? reject(error) : resolve(s),
      );
    });
    this.http = server;
    const { port } = server.address() as AddressInfo;
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    const url = new URL(`http://${host}:${port}/mcp`);
    this.logger.info({ url: url.href, mode: this.config.detection.mode }, 'gateway listening');
    return url;
  }

  /** Closes sessions, upstream connections and the HTTP server; saves every model when configured. */
  async close(): Promise<void> {
    clearInterval(this.reaper);
    // Each transport's onclose gives its session's place back.
    await Promise.allSettled([...this.sessions.values()].map((s) => s.transport.close()));
    await this.upstreams.close();
    if (this.http) {
      const http = this.http;
      this.http = undefined;
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
    if (this.cluster) {
      // Multi-node: checkpoint every agent held (with its log position), then close the pool.
      await this.cluster.close();
      await this.stores!.close();
    } else if (this.config.detection.saveOnClose) await this.saveModels();
  }

  /** Saves the model (forest and learned baseline) of every agent that has one in memory. */
  async saveModels(): Promise<number> {
    let saved = 0;
    for (const agentId of this.threats.agentsWithModel()) {
      try {
        await this.threats.save(agentId);
        saved++;
      } catch (error) {
        this.logger.error({ agentId, err: error }, 'saving the model failed');
      }
    }
    // The store changed: agents it had no model for are asked about again on their next call.
    this.threats.forgetMissing();
    return saved;
  }

  private routes(verifier: StaticTokenVerifier): Express {
    const app = createMcpExpressApp({
      host: this.config.host,
      ...(this.config.allowedHosts ? { allowedHosts: this.config.allowedHosts } : {}),
    });
    // HTTP 200 either way (the gateway itself is up); `status` is `degraded` while an upstream is down.
    app.get('/healthz', async (_req, res) => {
      const upstreams = await this.upstreams.health(this.config.health);
      // The endpoint is unauthenticated: the state only; why an upstream is down goes to the log.
      for (const { name, state, error } of upstreams)
        if (state === 'down') this.logger.warn({ upstream: name, error }, 'upstream down (health check)');
      res.json({
        status: upstreams.some((u) => u.state === 'down') ? 'degraded' : 'ok',
        version: GATEWAY_VERSION,
        mode: this.config.detection.mode,
        upstreams: upstreams.map(({ name, state }) => ({ name, state })),
        tools: this.upstreams.tools.length,
        agentsWithModel: this.threats.agentsWithModel().length,
        sessions: this.sessions.size,
        ...(this.cluster
          ? { cluster: { replicaId: this.cluster.replicaId, agentsHeld: this.cluster.heldAgents().length } }
          : {}),
      });
    });
    app.get('/metrics', async (_req, res) => {
      res.set('Content-Type', this.metrics.registry.contentType);
      res.send(await this.metrics.registry.metrics());
    });
    const auth = requireBearerAuth({ verifier });
    const mcp = (req: AuthedRequest, res: Response) => this.handleMcp(req, res);
    app.post('/mcp', auth, mcp);
    app.get('/mcp', auth, mcp);
    app.delete('/mcp', auth, mcp);
    // Last: errors before any handler (an unreadable body is parsed before the token is checked).
    app.use(requestErrorHandler(this.logger));
    return app;
  }

  private async handleMcp(req: AuthedRequest, res: Response): Promise<void> {
    const agentId = req.auth!.clientId;
    const header = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    try {
      if (sessionId !== undefined) {
        const session = this.sessions.get(sessionId);
        // A session belongs to the agent that opened it: another token cannot use or close it.
        if (!session || session.agentId !== agentId) {
          jsonRpcError(res, 404, -32001, 'Session not found');
          return;
        }
        session.open++;
        res.on('close', () => {
          session.open--;
          session.lastActive = Date.now();
        });
        await session.transport.handleRequest(req, res, req.body);
        return;
      }
      if (req.method !== 'POST' || !isInitializeRequest(req.body)) {
        jsonRpcError(res, 400, JSON_RPC_SERVER_ERROR, 'Bad Request: no valid session id');
        return;
      }
      const slot = this.sessions.reserve(agentId);
      if (slot === 'agent-full') {
        this.logger.warn(
          { agentId, limit: this.config.sessions.maxPerAgent },
          'session refused: agent limit',
        );
        jsonRpcError(res, 429, JSON_RPC_SERVER_ERROR, 'Too many open sessions for this agent');
        return;
      }
      if (slot === 'gateway-full') {
        this.logger.warn({ agentId, limit: this.config.sessions.max }, 'session refused: gateway limit');
        jsonRpcError(res, 503, JSON_RPC_SERVER_ERROR, 'Too many open sessions');
        return;
      }
      await this.openSession(agentId, slot, req, res);
    } catch (error) {
      this.logger.error({ agentId, err: error }, 'MCP request failed');
      if (!res.headersSent) jsonRpcError(res, 500, JSON_RPC_INTERNAL_ERROR, 'Internal error');
    }
  }

  private async openSession(
    agentId: string,
    slot: SessionSlot<Session>,
    req: AuthedRequest,
    res: Response,
  ): Promise<void> {
    const server = new Server(
      { name: 'harombe-gateway', version: GATEWAY_VERSION },
      { capabilities: { tools: {} } },
    );
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        slot.fill(id, { agentId, transport, server, lastActive: Date.now(), open: 0 });
        this.metrics.sessions.inc();
        this.logger.debug({ agentId, sessionId: id }, 'session opened');
      },
    });
    transport.onclose = () => slot.release();
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [...this.upstreams.tools] }));
    server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
      this.callTool(agentId, request, extra.sessionId, extra.signal, extra.requestInfo?.headers),
    );
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } finally {
      // An initialisation the transport refused (or that failed) opened no session: free its place.
      if (transport.sessionId === undefined) slot.release();
    }
  }

  private async callTool(
    agentId: string,
    request: CallToolRequest,
    sessionId: string | undefined,
    signal: AbortSignal,
    headers: IsomorphicHeaders | undefined,
  ): Promise<CallToolResult> {
    const tool = request.params.name;
    const args = request.params.arguments ?? {};
    const upstream = this.upstreams.upstreamOf(tool);
    if (upstream === undefined) {
      // Probing for tools that do not exist is worth knowing about, though there is nothing to assess.
      this.logger.warn({ agentId, tool, ...(sessionId ? { sessionId } : {}) }, 'call of an unknown tool');
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${tool}`);
    }
    const context: LoggedCall = {
      agentId,
      eventId: randomUUID(),
      tool,
      upstream,
      ...(sessionId ? { sessionId } : {}),
    };
    const call = this.callEvent(context, args, request.params._meta);
    if (this.cluster) {
      const key = idempotencyKeyOf(request.params._meta, headers);
      return this.cluster.withAgent(agentId, () =>
        this.callInCluster(this.cluster!, context, call, args, signal, key),
      );
    }
    const decision = await this.guard.check(agentId, call.event, call.nowMs);
    const done = await this.execute(context, call, args, decision, signal);
    if (done.reachedTool) this.guard.recordOutcome(agentId, done.completed, decision);
    await this.report(context, done.completed, args, decision, done.outcome);
    return done.answer;
  }

  /**
   * Multi-node mode, in the agent's turn on this replica: a retried key is answered from the log;
   * otherwise decide (on the agent's state, or by the load policy when it is not ready), run, and
   * commit the call's entry before answering.
   */
  private async callInCluster(
    cluster: ClusterNode,
    context: LoggedCall,
    call: PreparedCall,
    args: Record<string, unknown>,
    signal: AbortSignal,
    idempotencyKey: string | undefined,
  ): Promise<CallToolResult> {
    const { agentId } = context;
    const key = callKey(idempotencyKey, context.eventId);
    if (idempotencyKey !== undefined) {
      const stored = await cluster.stored(agentId, key);
      if (stored) return this.answerFromLog(context, stored);
    }
    const decision = (await cluster.ready(agentId))
      ? await this.guard.check(agentId, call.event, call.nowMs)
      : this.guard.unready(agentId, call.event, this.config.cluster!.loadFailurePolicy, this.fleet);
    const done = await this.execute(context, call, args, decision, signal);
    const committed = await cluster.commit(agentId, key, eventTimeOf(call), {
      type: 'call',
      event: toJson(call.event),
      nowMs: call.nowMs,
      assessed: decision.assessed,
      recorded: done.reachedTool ? jsonRecord(this.guard.outcomeRecord(done.completed, decision)) : null,
      eventId: context.eventId,
      tool: context.tool,
      upstream: context.upstream,
      decision: decision.decision,
      response: toJson(decision.response),
      outcome: done.outcome,
      ...(decision.assessment
        ? {
            threatLevel: decision.assessment.threatLevel,
            threatScore: decision.assessment.threatScore,
            isThreat: decision.assessment.isThreat,
          }
        : {}),
      staleBy: 0,
      // Kept for a retry only where the client asked for one (see cluster.keepAnswers).
      answer:
        idempotencyKey !== undefined && this.config.cluster!.keepAnswers === 'idempotent'
          ? keptAnswer(done.answer)
          : null,
    });
    if (committed.duplicate) return this.answerFromLog(context, committed.stored);
    await this.report(context, done.completed, args, decision, done.outcome);
    return done.answer;
  }

  /** The answer a committed call got, for its retry (the tool does not run again). */
  private answerFromLog(context: LoggedCall, stored: LogPayload): CallToolResult {
    this.metrics.retriedCalls.inc();
    this.logger.info({ ...context }, 'retried call answered from the log');
    if (stored.type === 'call' && stored.answer !== null) {
      const answer = CallToolResultSchema.safeParse(stored.answer);
      if (answer.success) return answer.data;
    }
    return {
      isError: stored.type === 'call' && stored.decision !== 'allow',
      content: [
        {
          type: 'text',
          text: 'This call was answered already (same idempotency key); its result was not kept.',
        },
      ],
    };
  }

  /** The call's event: built from the arguments at the gateway's time, or (tests) the simulated one. */
  private callEvent(
    context: LoggedCall,
    args: Record<string, unknown>,
    meta: Record<string, unknown> | undefined,
  ): PreparedCall {
    const simulated = this.config.testing.simulatedEvents ? meta?.[SIMULATED_EVENT_META_KEY] : undefined;
    if (simulated !== undefined) {
      // The simulated event carries its own time and outcome; identity stays the token's.
      const event = { ...(simulated as SecurityEventInput), agent_id: context.agentId };
      const nowMs = new Date(event.timestamp as string | number | Date).getTime();
      return { event, nowMs, completed: event };
    }
    const now = this.clock();
    return {
      event: toolCallEvent(context.tool, args, context, now, this.config.events),
      nowMs: now.getTime(),
    };
  }

  /** Logs the decision, then refuses the call or forwards it; what the agent gets and how the call went. */
  private async execute(
    context: LoggedCall,
    call: PreparedCall,
    args: Record<string, unknown>,
    decision: CallDecision,
    signal: AbortSignal,
  ): Promise<ExecutedCall> {
    const { event } = call;
    const fields = this.logDecision(context, event, decision);
    if (decision.decision !== 'allow') {
      return {
        answer: this.refusedResult(context.tool, decision),
        outcome: 'not-forwarded',
        completed: event,
        reachedTool: false,
      };
    }
    const { tool, upstream } = context;
    const started = performance.now();
    let result: CallToolResult;
    let outcome: CallOutcomeKind;
    try {
      result = await this.upstreams.call(tool, args, signal);
      outcome = result.isError === true ? 'tool-error' : 'success';
    } catch (error) {
      // Only the tool's own verdict on the agent's input is the agent's failure: an outage, a
      // timeout or a bug on this side is not, and is kept out of its windows and baseline.
      outcome = agentsFault(error) ? 'tool-error' : 'upstream-error';
      this.logger.warn({ ...fields, outcome, err: error }, 'upstream call failed');
      result = {
        isError: true,
        content: [{ type: 'text', text: `upstream ${upstream} failed on ${tool}; the gateway logged why.` }],
      };
    }
    const durationMs = performance.now() - started;
    this.metrics.toolCalls.inc({ upstream, outcome: outcome === 'tool-error' ? 'failure' : outcome });
    const reachedTool = outcome !== 'upstream-error';
    const completed = !reachedTool
      ? event
      : (call.completed ?? completedEvent(event, { durationMs, success: outcome === 'success' }));
    const answer =
      decision.response.action !== 'allow'
        ? { ...result, _meta: { ...result._meta, [DECISION_META_KEY]: this.metaOf(decision) } }
        : result;
    return { answer, outcome, completed, reachedTool };
  }

  /** The tool error an agent receives for a refused call: generic text, how long it lasts, no reasons. */
  private refusedResult(tool: string, decision: CallDecision): CallToolResult {
    const { responses } = this.config;
    const seconds = decision.response.retryAfterSeconds ?? 0;
    const template = decision.decision === 'throttle' ? responses.throttledText : responses.deniedText;
    const text = template.replaceAll('{tool}', tool).replaceAll('{seconds}', String(seconds));
    return {
      isError: true,
      content: [{ type: 'text', text }],
      _meta: { [DECISION_META_KEY]: this.metaOf(decision) },
    };
  }

  /** The decision as a result's `_meta` carries it: the response and its duration; reasons if configured. */
  private metaOf(decision: CallDecision): Record<string, unknown> {
    const { response } = decision;
    const meta: Record<string, unknown> = {
      decision: decision.decision,
      response: response.action,
      ...(response.action === 'throttle'
        ? { retryAfterSeconds: response.retryAfterSeconds }
        : { appliesTo: 'call' }),
    };
    if (!this.config.responses.reasonsInMeta) return meta;
    return { ...meta, ...reasonsOf(decision) };
  }

  /** One log line per call decision, with the call's context and the reasons; returns its fields. */
  private logDecision(
    context: LoggedCall,
    event: SecurityEventInput,
    decision: CallDecision,
  ): Record<string, unknown> {
    const destination = event.destination_domain ?? event.destination_ip;
    const fields = {
      ...context,
      ...(event.file_path === undefined ? {} : { path: event.file_path }),
      ...(destination === undefined ? {} : { destination }),
      decision: decision.decision,
      response: decision.response.action,
      ...(decision.response.retryAfterSeconds === undefined
        ? {}
        : { retryAfterSeconds: decision.response.retryAfterSeconds }),
      mode: this.config.detection.mode,
      detectionMicros: decision.detectionMicros,
      ...reasonsOf(decision),
      ...(decision.failure ? { failurePolicy: this.config.detection.failurePolicy } : {}),
    };
    const { action } = decision.response;
    if (decision.failure) this.logger.error(fields, 'detection failed');
    else if (action !== decision.decision) this.logger.warn(fields, 'threat let through (shadow mode)');
    else if (action === 'deny') this.logger.warn(fields, 'call denied');
    else if (action === 'throttle') this.logger.warn(fields, 'call throttled');
    else if (decision.response.echo) this.logger.warn(fields, 'state anomaly let through (pause served)');
    else this.logger.info(fields, 'call allowed');
    return fields;
  }

  /** Hands the call's record to the decision sink, if there is one; its failures are only logged. */
  private async report(
    context: LoggedCall,
    event: SecurityEventInput,
    args: Record<string, unknown>,
    decision: CallDecision,
    outcome: CallOutcomeKind,
  ): Promise<void> {
    if (this.sink === undefined) return;
    const a = decision.assessment;
    const record: DecisionRecord = {
      ...context,
      event,
      arguments: args,
      mode: this.config.detection.mode,
      decision: decision.decision,
      response: decision.response,
      outcome,
      ...(a
        ? {
            assessment: {
              threatLevel: a.threatLevel,
              threatScore: a.threatScore,
              tailProbability: a.tailProbability,
              isThreat: a.isThreat,
              coldStart: a.coldStart,
              explanation: a.explanation,
            },
          }
        : {}),
      ...(decision.failure ? { failure: decision.failure } : {}),
    };
    try {
      await this.sink.onDecision(record);
    } catch (error) {
      this.logger.error({ ...context, err: error }, 'decision sink failed');
    }
  }

  private closeIdleSessions(idleMs: number): void {
    const cutoff = Date.now() - idleMs;
    for (const session of this.sessions.values()) {
      if (session.open === 0 && session.lastActive < cutoff) {
        session.transport
          .close()
          .catch((error: unknown) => this.logger.warn({ err: error }, 'closing an idle session failed'));
      }
    }
  }
}

/** Why the gateway decided as it did: for logs, and for `_meta` when configured. Never for the agent's text. */
function reasonsOf(decision: CallDecision): Record<string, unknown> {
  const a = decision.assessment;
  const { response } = decision;
  return {
    reasons: response.reasons,
    ...(response.risks.length > 0 ? { risks: response.risks } : {}),
    ...(response.echo ? { echo: true } : {}),
    ...(a
      ? {
          threatLevel: a.threatLevel,
          threatScore: Number(a.threatScore.toFixed(4)),
          tailProbability: a.tailProbability,
          coldStart: a.coldStart,
          explanation: a.explanation,
        }
      : {}),
    ...(decision.failure ? { failure: decision.failure.reason, error: decision.failure.message } : {}),
  };
}

/** The client's idempotency key: `_meta["io.harombe/idempotency-key"]`, else the `Idempotency-Key` header. */
function idempotencyKeyOf(
  meta: Record<string, unknown> | undefined,
  headers: IsomorphicHeaders | undefined,
): string | undefined {
  const header = headers?.[IDEMPOTENCY_KEY_HEADER];
  const value = meta?.[IDEMPOTENCY_KEY_META_KEY] ?? (Array.isArray(header) ? header[0] : header);
  if (typeof value !== 'string' || value.length === 0) return undefined;
  if (value.length > 200)
    throw new McpError(ErrorCode.InvalidParams, 'idempotency key: at most 200 characters');
  return value;
}

/** The call's event time (epoch ms): the log entry's time. */
function eventTimeOf(call: PreparedCall): number {
  const at = new Date(call.event.timestamp as string | number | Date).getTime();
  return Number.isFinite(at) && at >= 0 ? Math.floor(at) : Math.floor(call.nowMs);
}

/** A value as the log stores it (dates as ISO text). */
function toJson(value: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

function jsonRecord(
  recorded: OutcomeRecord | null,
): { completed: Record<string, unknown>; learn: boolean } | null {
  return recorded && { completed: toJson(recorded.completed), learn: recorded.learn };
}
