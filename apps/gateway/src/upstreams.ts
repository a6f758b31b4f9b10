// The upstream MCP tool servers: one SDK client each, over Streamable HTTP. The gateway exposes the
// union of their tools (optionally prefixed) and routes each call to the server that owns the tool.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type CallToolResult, ErrorCode, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayConfig, HealthConfig } from './config.js';
import { withinDeadline } from './deadline.js';

type UpstreamConfig = GatewayConfig['upstreams'][number];

interface Route {
  readonly upstream: string;
  /** The tool's name at the upstream. */
  readonly name: string;
}

/**
 * Whether a failed call never ran at the upstream: it lost our session (it restarted: HTTP 404) or
 * could not be reached. Such a call is safe to send again after reconnecting.
 */
function neverRan(error: unknown): boolean {
  if (error instanceof StreamableHTTPError) return error.code === 404;
  const cause = (error as { cause?: { code?: string } }).cause;
  return error instanceof TypeError && cause?.code === 'ECONNREFUSED';
}

/**
 * Whether a failed call failed because of the agent's own input: the upstream answered that the
 * arguments are invalid. Everything else thrown (unreachable, transport errors, timeouts, the
 * upstream's internal errors, the gateway's own) is not the agent's doing.
 */
export function agentsFault(error: unknown): boolean {
  return error instanceof McpError && error.code === ErrorCode.InvalidParams;
}

/** Whether an error is the upstream's answer (a JSON-RPC error), not a missing one. */
function answered(error: unknown): boolean {
  return (
    error instanceof McpError &&
    error.code !== ErrorCode.ConnectionClosed &&
    error.code !== ErrorCode.RequestTimeout
  );
}

/** An upstream's connection as last seen: by a call or by a probe. */
export interface UpstreamHealth {
  readonly name: string;
  readonly state: 'up' | 'down';
  /** When it was last seen (epoch ms). */
  readonly seenAt: number;
  /** Why it is down. */
  readonly error?: string;
}

export class UpstreamPool {
  private readonly clients = new Map<string, Client>();
  private readonly states = new Map<string, UpstreamHealth>();
  private probing: Promise<void> | undefined;
  private readonly reconnecting = new Map<string, Promise<Client>>();
  private readonly routes = new Map<string, Route>();
  private exposed: Tool[] = [];

  private constructor(
    private readonly configs: readonly UpstreamConfig[],
    private readonly version: string,
  ) {}

  /** Connects to every upstream and lists their tools. Fails when one cannot be reached. */
  static async connect(configs: readonly UpstreamConfig[], version: string): Promise<UpstreamPool> {
    const pool = new UpstreamPool(configs, version);
    try {
      for (const config of configs) pool.clients.set(config.name, await pool.open(config));
      await pool.refresh();
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** The tools the gateway offers, as upstreams describe them (names prefixed as configured). */
  get tools(): readonly Tool[] {
    return this.exposed;
  }

  /** The upstream that serves a tool, or undefined for a tool nobody offers. */
  upstreamOf(tool: string): string | undefined {
    return this.routes.get(tool)?.upstream;
  }

  /** Lists every upstream's tools again (all pages) and rebuilds the routes. */
  async refresh(): Promise<void> {
    const routes = new Map<string, Route>();
    const exposed: Tool[] = [];
    for (const config of this.configs) {
      const client = this.clients.get(config.name)!;
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor });
        for (const tool of page.tools) {
          const name = `${config.prefix}${tool.name}`;
          const other = routes.get(name);
          if (other) {
            throw new Error(
              `tool ${name} is offered by upstreams ${other.upstream} and ${config.name}: give one a prefix`,
            );
          }
          routes.set(name, { upstream: config.name, name: tool.name });
          exposed.push({ ...tool, name });
        }
        cursor = page.nextCursor;
      } while (cursor !== undefined);
    }
    this.routes.clear();
    for (const [name, route] of routes) this.routes.set(name, route);
    this.exposed = exposed;
  }

  /**
   * Forwards a call to the upstream that owns the tool. When the upstream lost the session (it
   * restarted) or refused the connection, the pool reconnects and sends the call once more: it never
   * ran. Other upstream failures are thrown.
   */
  async call(tool: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<CallToolResult> {
    const route = this.routes.get(tool);
    if (!route) throw new Error(`unknown tool ${tool}`);
    const send = (client: Client) =>
      client.callTool(
        { name: route.name, arguments: args },
        undefined,
        signal ? { signal } : {},
      ) as Promise<CallToolResult>;
    try {
      const result = await this.retrying(route.upstream, send);
      this.seen(route.upstream);
      return result;
    } catch (error) {
      // An answer, even an error, shows the upstream is there; anything else is not known to be
      // (unless the agent cancelled the call, which says nothing about the upstream).
      if (!signal?.aborted) this.seen(route.upstream, answered(error) ? undefined : error);
      throw error;
    }
  }

  /**
   * Every upstream's connection state. Each is probed (an MCP ping, reconnecting once when the
   * session is gone) when it was last seen longer than `probeIntervalMs` ago; concurrent callers
   * share one round of probes, so the cost is at most one ping per upstream per interval.
   */
  async health(config: HealthConfig): Promise<UpstreamHealth[]> {
    const stale = this.configs.filter(
      (c) => Date.now() - (this.states.get(c.name)?.seenAt ?? 0) >= config.probeIntervalMs,
    );
    if (stale.length > 0) {
      this.probing ??= Promise.all(stale.map((c) => this.probe(c.name, config.probeTimeoutMs)))
        .then(() => undefined)
        .finally(() => {
          this.probing = undefined;
        });
      await this.probing;
    }
    return this.configs.map((c) => this.states.get(c.name) ?? { name: c.name, state: 'up', seenAt: 0 });
  }

  private async probe(upstream: string, timeoutMs: number): Promise<void> {
    try {
      await withinDeadline(
        this.retrying(upstream, (client) => client.ping({ timeout: timeoutMs })),
        timeoutMs,
        () => new Error(`upstream ${upstream}: no answer within ${timeoutMs} ms`),
      );
      this.seen(upstream);
    } catch (error) {
      this.seen(upstream, error);
    }
  }

  /** Sends with the upstream's client; once more on a fresh session when the request never ran. */
  private async retrying<T>(upstream: string, send: (client: Client) => Promise<T>): Promise<T> {
    try {
      return await send(this.clients.get(upstream)!);
    } catch (error) {
      if (!neverRan(error)) throw error;
      return send(await this.reconnect(upstream));
    }
  }

  private seen(upstream: string, error?: unknown): void {
    this.states.set(upstream, {
      name: upstream,
      state: error === undefined ? 'up' : 'down',
      seenAt: Date.now(),
      ...(error === undefined ? {} : { error: (error as Error).message }),
    });
  }

  /** A fresh session with the upstream; concurrent callers share one attempt. */
  private reconnect(upstream: string): Promise<Client> {
    let pending = this.reconnecting.get(upstream);
    if (!pending) {
      const config = this.configs.find((c) => c.name === upstream)!;
      const old = this.clients.get(upstream);
      pending = this.open(config)
        .then((client) => {
          this.clients.set(upstream, client);
          void old?.close().catch(() => undefined);
          return client;
        })
        .finally(() => this.reconnecting.delete(upstream));
      this.reconnecting.set(upstream, pending);
    }
    return pending;
  }

  private async open(config: UpstreamConfig): Promise<Client> {
    const client = new Client({ name: 'harombe-gateway', version: this.version });
    const transport = new StreamableHTTPClientTransport(new URL(config.url), {
      requestInit: { headers: config.headers },
    });
    try {
      await client.connect(transport);
    } catch (error) {
      throw new Error(
        `cannot connect to upstream ${config.name} at ${config.url}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    return client;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.clients.values()].map((client) => client.close()));
    this.clients.clear();
  }
}
