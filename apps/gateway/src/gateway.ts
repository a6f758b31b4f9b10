// The MCP gateway: agents connect over Streamable HTTP with a bearer token; the gateway offers the
// upstream servers' tools, assesses every tools/call with ThreatDetector before forwarding it, denies
// it at the configured level (enforce mode), and records how each forwarded call went.
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ThreatDetector } from '@harombe/security-ml';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  type CallToolRequest,
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  isInitializeRequest,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import type { Express, Request, Response } from 'express';
import { type Logger, pino } from 'pino';
import packageJson from '../package.json' with { type: 'json' };
import { type GatewayConfig, type GatewayConfigInput, parseGatewayConfig } from './config.js';
import { toolCallEvent } from './events.js';
import { type CallDecision, CallGuard } from './guard.js';
import {
  JSON_RPC_INTERNAL_ERROR,
  JSON_RPC_SERVER_ERROR,
  jsonRpcError,
  requestErrorHandler,
} from './http-errors.js';
import { StaticTokenVerifier } from './identity.js';
import { GatewayMetrics } from './metrics.js';
import { type ModelSummary, prepareModels } from './models.js';
import { type SessionSlot, SessionTable } from './sessions.js';
import { UpstreamPool } from './upstreams.js';

export const GATEWAY_VERSION: string = packageJson.version;
/** The `_meta` key under which denied (and shadow-flagged) results carry the gateway's decision. */
export const DECISION_META_KEY = 'io.harombe/decision';

export interface GatewayDependencies {
  /** The detector to use; default one built from `config.detection`. */
  threats?: ThreatDetector;
  /** Default: pino to standard output at `info`. */
  logger?: Logger;
  /** Where event timestamps come from. Default: the system clock. */
  clock?: () => Date;
  /** Default: a fresh registry with process metrics. */
  metrics?: GatewayMetrics;
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
  private readonly sessions: SessionTable<Session>;
  private readonly reaper: NodeJS.Timeout;
  private http: HttpServer | undefined;

  private constructor(
    config: GatewayConfig,
    verifier: StaticTokenVerifier,
    private readonly upstreams: UpstreamPool,
    threats: ThreatDetector,
    models: ModelSummary,
    private readonly clock: () => Date,
    logger: Logger,
    metrics: GatewayMetrics,
  ) {
    this.config = config;
    this.threats = threats;
    this.models = models;
    this.logger = logger;
    this.metrics = metrics;
    this.guard = new CallGuard(threats, config.detection, metrics, logger);
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
    const threats =
      dependencies.threats ??
      new ThreatDetector({
        mode: config.detection.mode,
        contamination: config.detection.contamination,
        seed: config.detection.seed,
        ...(config.detection.modelDir ? { modelDir: config.detection.modelDir } : {}),
      });
    // Identity is checked before anything is connected: a bad token table fails fast.
    const verifier = new StaticTokenVerifier(config.agents);
    const models = await prepareModels(threats, config, logger);
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
    return new Gateway(config, verifier, upstreams, threats, models, clock, logger, metrics);
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
    if (this.config.detection.saveOnClose) await this.saveModels();
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
    app.get('/healthz', (_req, res) => {
      res.json({
        status: 'ok',
        version: GATEWAY_VERSION,
        mode: this.config.detection.mode,
        upstreams: this.config.upstreams.map((u) => u.name),
        tools: this.upstreams.tools.length,
        agentsWithModel: this.threats.agentsWithModel().length,
        sessions: this.sessions.size,
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
      this.callTool(agentId, request, extra.sessionId, extra.signal),
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
  ): Promise<CallToolResult> {
    const tool = request.params.name;
    const args = request.params.arguments ?? {};
    const upstream = this.upstreams.upstreamOf(tool);
    if (upstream === undefined) {
      // Probing for tools that do not exist is worth knowing about, though there is nothing to assess.
      this.logger.warn({ agentId, tool }, 'call of an unknown tool');
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${tool}`);
    }
    const context = { agentId, eventId: randomUUID(), ...(sessionId ? { sessionId } : {}) };
    const event = toolCallEvent(tool, args, context, this.clock(), this.config.events);
    const decision = await this.guard.check(agentId, event);
    this.logDecision(agentId, tool, context.eventId, decision);
    if (decision.decision === 'deny') return deniedResult(tool, decision);
    const started = performance.now();
    let result: CallToolResult;
    let success: boolean;
    try {
      result = await this.upstreams.call(tool, args, signal);
      success = result.isError !== true;
    } catch (error) {
      success = false;
      result = {
        isError: true,
        content: [
          { type: 'text', text: `upstream ${upstream} failed on ${tool}: ${(error as Error).message}` },
        ],
      };
    }
    const durationMs = performance.now() - started;
    this.metrics.toolCalls.inc({ upstream, outcome: success ? 'success' : 'failure' });
    this.guard.recordOutcome(agentId, event, decision, { durationMs, success });
    if (decision.wouldDeny)
      return { ...result, _meta: { ...result._meta, [DECISION_META_KEY]: summary(decision) } };
    return result;
  }

  private logDecision(agentId: string, tool: string, eventId: string, decision: CallDecision): void {
    const a = decision.assessment;
    const fields = {
      agentId,
      tool,
      eventId,
      decision: decision.decision,
      wouldDeny: decision.wouldDeny,
      mode: this.config.detection.mode,
      detectionMicros: decision.detectionMicros,
      ...(a
        ? {
            threatLevel: a.threatLevel,
            threatScore: Number(a.threatScore.toFixed(4)),
            coldStart: a.coldStart,
            explanation: a.explanation,
          }
        : {}),
      ...(decision.failure
        ? { failure: decision.failure.reason, failurePolicy: this.config.detection.failurePolicy }
        : {}),
    };
    if (decision.failure)
      this.logger.error({ ...fields, error: decision.failure.message }, 'detection failed');
    else if (decision.wouldDeny)
      this.logger.warn(
        fields,
        decision.decision === 'deny' ? 'call denied' : 'threat let through (shadow mode)',
      );
    else this.logger.info(fields, 'call allowed');
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

function summary(decision: CallDecision): Record<string, unknown> {
  const a = decision.assessment;
  return {
    decision: decision.decision,
    ...(a
      ? {
          threatLevel: a.threatLevel,
          threatScore: a.threatScore,
          explanation: a.explanation,
          coldStart: a.coldStart,
        }
      : {}),
    ...(decision.failure ? { failure: decision.failure.reason, message: decision.failure.message } : {}),
  };
}

function deniedResult(tool: string, decision: CallDecision): CallToolResult {
  const a = decision.assessment;
  const text = a
    ? `Denied by the harombe gateway: ${tool} was rated a ${a.threatLevel} threat (score ${a.threatScore.toFixed(2)}). Why: ${a.explanation}`
    : decision.failure!.reason === 'invalid-event'
      ? `Denied by the harombe gateway: the arguments of ${tool} could not be assessed (${decision.failure!.message}); such calls are always denied.`
      : `Denied by the harombe gateway: ${tool} could not be assessed (${decision.failure!.reason}: ${decision.failure!.message}) and the failure policy is fail-closed.`;
  return {
    isError: true,
    content: [{ type: 'text', text }],
    _meta: { [DECISION_META_KEY]: summary(decision) },
  };
}
