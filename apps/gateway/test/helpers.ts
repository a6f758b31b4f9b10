// A gateway on loopback with the example tool server, a local docs site, and agents trained on a
// simulated history that ends on Monday 2026-02-02; the clock is the test's to set.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import {
  connectAsAgent,
  DECISION_META_KEY,
  DEFAULT_DENIED_TEXT,
  DEMO_AGENTS,
  Gateway,
  type GatewayConfigInput,
  type GatewayDependencies,
  GatewayMetrics,
  startDemoStack,
} from '../src/index.js';

/** The first day after the simulated history: Monday 2026-02-02 (UTC). */
export const LIVE_DAY = Date.UTC(2026, 1, 2);
export const HOUR = 3_600_000;
export const TOKENS = Object.fromEntries(DEMO_AGENTS.map((a) => [a.agentId, a.token])) as Record<
  (typeof DEMO_AGENTS)[number]['agentId'],
  string
>;

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface Harness {
  gateway: Gateway;
  url: URL;
  home: string;
  docsHost: string;
  logs: LogLine[];
  setTime(ms: number): void;
  /** Stops the upstream tool server (the gateway keeps running). */
  stopTools(): Promise<void>;
  connect(agentId: keyof typeof TOKENS): Promise<Client>;
  close(): Promise<void>;
}

/** Starts everything; `adjust` edits the demo configuration, `dependencies` replace defaults. */
export async function startHarness(
  adjust: (config: GatewayConfigInput) => GatewayConfigInput = (c) => c,
  dependencies: GatewayDependencies = {},
): Promise<Harness> {
  const home = await mkdtemp(join(tmpdir(), 'harombe-gateway-'));
  // The history ends at the UTC midnight before "now": Monday 2026-02-02 00:00.
  const stack = await startDemoStack({ home, now: new Date(LIVE_DAY + HOUR) });
  let now = LIVE_DAY + 10 * HOUR;
  const logs: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => logs.push(JSON.parse(line) as LogLine) },
  );
  const gateway = await Gateway.create(adjust(stack.config), {
    logger,
    clock: () => new Date(now),
    metrics: new GatewayMetrics(),
    ...dependencies,
  });
  const url = await gateway.listen();
  const clients: Client[] = [];
  return {
    gateway,
    url,
    home,
    docsHost: stack.docsHost,
    logs,
    setTime: (ms) => {
      now = ms;
    },
    stopTools: () => stack.stopTools(),
    connect: async (agentId) => {
      const client = await connectAsAgent(url, TOKENS[agentId]);
      clients.push(client);
      return client;
    },
    close: async () => {
      await Promise.allSettled(clients.map((c) => c.close()));
      await gateway.close();
      await stack.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/** The demo configuration with the reasons in results' `_meta` (off by default). */
export function withReasonsInMeta(config: GatewayConfigInput): GatewayConfigInput {
  return { ...config, responses: { ...config.responses, reasonsInMeta: true } };
}

/** The text every denied call gets by default, for `tool`. */
export function deniedText(tool: string): string {
  return DEFAULT_DENIED_TEXT.replace('{tool}', tool);
}

/** The gateway's decision attached to a result; fails the test when there is none. */
export function decisionOf(result: CallToolResult): Record<string, unknown> {
  const decision = result._meta?.[DECISION_META_KEY];
  if (decision === undefined) throw new Error(`no gateway decision on the result: ${textOf(result)}`);
  return decision as Record<string, unknown>;
}
