import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryModelStore, ThreatDetector } from '@harombe/security-ml';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { connectAsAgent, Gateway, GatewayMetrics } from '../src/index.js';
import { call, textOf } from './helpers.js';

/** A stateful upstream (sessions in memory, as most MCP servers keep them) with one tool. */
function statefulUpstream(generation: number) {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const app = createMcpExpressApp();
  app.post('/mcp', async (req, res) => {
    const id = req.headers['mcp-session-id'] as string | undefined;
    const known = id ? sessions.get(id) : undefined;
    if (known) return known.handleRequest(req, res, req.body);
    if (id || !isInitializeRequest(req.body)) {
      res
        .status(404)
        .json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
      return;
    }
    const server = new McpServer({ name: 'stateful', version: '1.0.0' });
    server.registerTool('whoami', { description: 'which server generation answers' }, async () => ({
      content: [{ type: 'text', text: `generation ${generation}` }],
    }));
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (sid) => {
        sessions.set(sid, transport);
      },
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  return app;
}

function listen(app: ReturnType<typeof createMcpExpressApp>, port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, '127.0.0.1', (error?: Error) =>
      error ? reject(error) : resolve(server),
    );
  });
}

function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe('an upstream that restarts', () => {
  it('gets a new session: calls go on without restarting the gateway', async () => {
    let upstream = await listen(statefulUpstream(1));
    const port = (upstream.address() as AddressInfo).port;
    const threats = new ThreatDetector({ store: new MemoryModelStore() });
    const gateway = await Gateway.create(
      {
        port: 0,
        agents: [{ agentId: 'a', token: 'token-of-agent-a-123' }],
        upstreams: [{ name: 'stateful', url: `http://127.0.0.1:${port}/mcp` }],
        // No model and no fleet: let calls through, this test is about the upstream.
        detection: { failurePolicy: 'open', unknownAgents: 'skip', saveOnClose: false },
      },
      { threats, logger: pino({ level: 'silent' }), metrics: new GatewayMetrics() },
    );
    const url = await gateway.listen();
    cleanup.push(() => gateway.close());
    const client = await connectAsAgent(url, 'token-of-agent-a-123');
    cleanup.push(() => client.close());
    expect(textOf(await call(client, 'whoami', {}))).toBe('generation 1');

    // The upstream restarts on the same port and forgets every session.
    await stop(upstream);
    const down = await call(client, 'whoami', {});
    expect(down.isError).toBe(true);
    expect(textOf(down)).toMatch(/upstream stateful failed on whoami/);
    upstream = await listen(statefulUpstream(2), port);
    cleanup.push(() => stop(upstream));
    expect(textOf(await call(client, 'whoami', {}))).toBe('generation 2');
    expect(textOf(await call(client, 'whoami', {}))).toBe('generation 2');
  });
});
