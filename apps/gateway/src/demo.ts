// The demo setup behind `pnpm --filter @harombe/gateway start`: a sandbox with files, a small local
// "docs" web server, the example tool server, and agents whose simulated history (agent-sim personas
// that use exactly the example server's tools) ends today, so their models describe the present.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { generateFleet, type Persona, toJsonl } from '@harombe/agent-sim';
import type { GatewayConfigInput } from './config.js';
import { startExampleToolServer } from './example-server.js';

const DAY = 86_400_000;

/** Demo agents and their tokens. The tokens are for this demo only: configure your own. */
export const DEMO_AGENTS = [
  { agentId: 'research-bot', token: 'demo-token-research-bot', timeZone: 'UTC' },
  { agentId: 'ops-bot', token: 'demo-token-ops-bot-0001', timeZone: 'UTC' },
  // No history: scored by the fleet model (cold start).
  { agentId: 'intern-bot', token: 'demo-token-intern-bot-01', timeZone: 'UTC' },
] as const;

/** How the gateway maps the example server's tools to events (the personas use the same). */
export const EXAMPLE_TOOL_EVENTS = {
  read_file: { eventType: 'file_operation' },
  list_dir: { eventType: 'file_operation', pathKind: 'directory' },
  write_note: { eventType: 'file_operation' },
  web_fetch: { eventType: 'tool_call' },
} as const;

/** Personas that use the example server's tools; `docsHost` is the host their fetches go to. */
export function demoPersonas(docsHost: string): Persona[] {
  const tool = (
    name: keyof typeof EXAMPLE_TOOL_EVENTS,
    weight: number,
    durationMedianMs: number,
    extra: { directories?: string[]; destinations?: string[] } = {},
  ) => ({
    name,
    eventType: EXAMPLE_TOOL_EVENTS[name].eventType,
    weight,
    durationMedianMs,
    durationSigma: 0.35,
    resourceCount: [1, 1] as [number, number],
    ...extra,
  });
  return [
    {
      agentId: 'research-bot',
      role: 'researcher',
      timeZone: 'UTC',
      hours: [8, 18],
      weekdaysOnly: true,
      callsPerHour: 8,
      errorRate: 0.01,
      tools: [
        tool('read_file', 5, 3, { directories: ['papers', 'notes'] }),
        tool('list_dir', 2, 2, { directories: ['papers', 'notes'] }),
        tool('write_note', 1, 4),
        tool('web_fetch', 3, 15, { destinations: [docsHost] }),
      ],
    },
    {
      agentId: 'ops-bot',
      role: 'ops',
      timeZone: 'UTC',
      hours: [0, 24],
      weekdaysOnly: false,
      callsPerHour: 6,
      errorRate: 0.01,
      tools: [
        tool('read_file', 4, 3, { directories: ['logs'] }),
        tool('list_dir', 2, 2, { directories: ['logs'] }),
        tool('web_fetch', 2, 15, { destinations: [docsHost] }),
      ],
    },
  ];
}

/** 28 days of history for the demo personas, ending at the UTC midnight before `now`. */
export function demoHistory(now: Date, docsHost: string, seed = 7): string {
  const historyDays = 28;
  const today = Math.floor(now.getTime() / DAY) * DAY;
  const fleet = generateFleet({
    seed,
    personas: demoPersonas(docsHost),
    start: today - historyDays * DAY,
    historyDays,
    liveDays: 1,
    scenarios: [],
    benignChange: false,
  });
  return toJsonl(fleet.history, false);
}

/** Creates the sandbox the example tools work in, with the files the personas read. */
export async function seedSandbox(sandbox: string): Promise<void> {
  for (const directory of ['papers', 'notes', 'logs']) {
    await mkdir(join(sandbox, directory), { recursive: true, mode: 0o700 });
  }
  for (let i = 1; i <= 20; i++) {
    await writeFile(join(sandbox, 'papers', `file-${i}.txt`), `Paper ${i}: notes on agent security.\n`);
    await writeFile(join(sandbox, 'notes', `file-${i}.txt`), `Note ${i}.\n`);
    await writeFile(join(sandbox, 'logs', `file-${i}.txt`), `2026-01-01T00:00:00Z app started (${i})\n`);
  }
}

/** A tiny local web server for `web_fetch` to reach without internet. */
export async function startDocsServer(port: number): Promise<{ server: Server; host: string }> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(`docs page ${req.url ?? '/'}: isolation forests isolate anomalies in few splits.\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: actual } = server.address() as AddressInfo;
  return { server, host: `localhost:${actual}` };
}

/** The gateway configuration of the demo, with its files under `home`. */
export async function demoConfig(options: {
  home: string;
  toolsUrl: string;
  docsHost: string;
  port: number;
  now: Date;
}): Promise<GatewayConfigInput> {
  const history = join(options.home, 'history.jsonl');
  if (!existsSync(history)) {
    await mkdir(options.home, { recursive: true, mode: 0o700 });
    await writeFile(history, demoHistory(options.now, options.docsHost.split(':')[0]!), { mode: 0o600 });
  }
  return {
    port: options.port,
    agents: DEMO_AGENTS.map((a) => ({ ...a })),
    upstreams: [{ name: 'example-tools', url: options.toolsUrl }],
    detection: { history, modelDir: join(options.home, 'models') },
    events: { tools: EXAMPLE_TOOL_EVENTS },
  };
}

/** The demo's upstream side, running, and the gateway configuration that points at it. */
export interface DemoStack {
  readonly config: GatewayConfigInput;
  readonly sandbox: string;
  /** `host:port` of the local docs site that `web_fetch` may reach. */
  readonly docsHost: string;
  readonly toolsUrl: URL;
  /** Stops the example tool server alone (an upstream outage, for tests and demos). */
  stopTools(): Promise<void>;
  /** Stops the tool server and the docs site. */
  close(): Promise<void>;
}

/**
 * Seeds the sandbox under `home`, starts the docs site and the example tool server (ports 0: any
 * free one), writes the demo history (ending at the UTC midnight before `now`) if missing, and
 * returns the gateway configuration for them.
 */
export async function startDemoStack(options: {
  home: string;
  now: Date;
  port?: number;
  toolsPort?: number;
  docsPort?: number;
}): Promise<DemoStack> {
  const sandbox = join(options.home, 'sandbox');
  await seedSandbox(sandbox);
  const docs = await startDocsServer(options.docsPort ?? 0);
  const tools = await startExampleToolServer({
    sandbox,
    allowedHosts: [docs.host],
    port: options.toolsPort ?? 0,
  });
  const config = await demoConfig({
    home: options.home,
    toolsUrl: tools.url.href,
    docsHost: docs.host,
    port: options.port ?? 0,
    now: options.now,
  });
  let toolsStopped: Promise<void> | undefined;
  const stopTools = () => {
    toolsStopped ??= tools.close();
    return toolsStopped;
  };
  return {
    config,
    sandbox,
    docsHost: docs.host,
    toolsUrl: tools.url,
    stopTools,
    close: async () => {
      await stopTools();
      docs.server.closeAllConnections();
      await new Promise<void>((resolve) => docs.server.close(() => resolve()));
    },
  };
}
