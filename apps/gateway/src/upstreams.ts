// The upstream MCP tool servers: one SDK client each, over Streamable HTTP. The gateway exposes the
// union of their tools (optionally prefixed) and routes each call to the server that owns the tool.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayConfig } from './config.js';

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

export class UpstreamPool {
  private readonly clients = new Map<string, Client>();
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
      return await send(this.clients.get(route.upstream)!);
    } catch (error) {
      if (!neverRan(error)) throw error;
      return send(await this.reconnect(route.upstream));
    }
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
