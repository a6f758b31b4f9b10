#!/usr/bin/env node
// harombe-gateway: run the MCP gateway (from a config file, or the self-contained demo), the example
// tool server alone, or the example client. Exit codes: 0 success, 1 failure, 2 usage.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { runExampleClient } from './client.js';
import { nginxConfig } from './cluster/nginx.js';
import { seedClusterModels } from './cluster/seed.js';
import { readGatewayConfig } from './config.js';
import { DEMO_AGENTS, startDemoStack } from './demo.js';
import { startExampleToolServer } from './example-server.js';
import { Gateway } from './gateway.js';
import { readHistory } from './models.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError('a port is an integer 0-65535');
  return n;
}

/** Closes `close` on SIGINT/SIGTERM, then exits. */
function closeOnSignal(close: () => Promise<void>): void {
  let closing = false;
  const handler = () => {
    if (closing) return;
    closing = true;
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

/** pino to standard output, at `HAROMBE_LOG_LEVEL` (default `info`; `warn` leaves out the line per call). */
function gatewayLogger() {
  return pino({ name: 'harombe-gateway', level: process.env.HAROMBE_LOG_LEVEL ?? 'info' });
}

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const program = new Command('harombe-gateway')
  .description(
    'An MCP gateway that assesses every tool call with harombe ThreatDetector and denies risky ones.',
  )
  .version(version, '-V, --version', 'print the version')
  .exitOverride();

program
  .command('start')
  .description('run the gateway; without --config, the demo (example tools, demo agents, trained models)')
  .option('--config <file>', 'gateway configuration (JSON)')
  .option('--home <dir>', 'demo: where the sandbox, history and models go', '.harombe/gateway')
  .option('--port <n>', 'demo: gateway port', port, 7800)
  .option('--tools-port <n>', 'demo: example tool server port', port, 7801)
  .option('--docs-port <n>', 'demo: local docs web server port', port, 7802)
  .action(async (o: { config?: string; home: string; port: number; toolsPort: number; docsPort: number }) => {
    const logger = gatewayLogger();
    if (o.config) {
      const gateway = await Gateway.create(await readGatewayConfig(o.config), { logger });
      await gateway.listen();
      closeOnSignal(() => gateway.close());
      return;
    }
    const stack = await startDemoStack({
      home: resolve(o.home),
      now: new Date(),
      port: o.port,
      toolsPort: o.toolsPort,
      docsPort: o.docsPort,
    });
    const gateway = await Gateway.create(stack.config, { logger });
    const url = await gateway.listen();
    const tokens = DEMO_AGENTS.map((a) => `  ${a.agentId.padEnd(13)} Authorization: Bearer ${a.token}`).join(
      '\n',
    );
    process.stderr.write(
      `\nharombe gateway (demo) at ${url.href}\nexample tools over ${stack.sandbox}; web_fetch may reach ${stack.docsHost}\n` +
        `demo agents:\n${tokens}\ntry: pnpm --filter @harombe/gateway client\n` +
        `health: ${new URL('/healthz', url).href}   metrics: ${new URL('/metrics', url).href}\n\n`,
    );
    closeOnSignal(async () => {
      await gateway.close();
      await stack.close();
    });
  });

program
  .command('seed')
  .description(
    'multi-node: train the configured agents on a history and save their models (and the fleet model) in PostgreSQL',
  )
  .requiredOption('--config <file>', 'gateway configuration (JSON) with cluster')
  .requiredOption('--history <file>', 'JSONL events (with agent_id) to train on')
  .action(async (o: { config: string; history: string }) => {
    const logger = gatewayLogger();
    const config = await readGatewayConfig(o.config);
    const result = await seedClusterModels(config, await readHistory(o.history, logger), logger);
    console.log(JSON.stringify(result));
  });

program
  .command('nginx-config')
  .description('multi-node: print an nginx configuration routing each agent to one gateway by its token')
  .requiredOption('--prefix <dir>', 'nginx prefix directory (pid, logs, temporary files)')
  .option('--listen <port>', 'loopback port nginx listens on', port, 7800)
  .option('--gateways <host:port...>', 'the gateways', ['127.0.0.1:7811', '127.0.0.1:7812', '127.0.0.1:7813'])
  .option('--user <name>', 'user directive (when nginx starts as root)')
  .action((o: { prefix: string; listen: number; gateways: string[]; user?: string }) => {
    process.stdout.write(
      nginxConfig({
        prefix: resolve(o.prefix),
        routes: [{ listen: o.listen, gateways: o.gateways }],
        ...(o.user ? { user: o.user } : {}),
      }),
    );
  });

program
  .command('tools')
  .description('run only the example tool server (read_file, list_dir, write_note, web_fetch)')
  .requiredOption('--sandbox <dir>', 'directory the file tools work in')
  .option('--allow <hosts...>', 'hosts web_fetch may contact', [])
  .option('--port <n>', 'port', port, 7801)
  .action(async (o: { sandbox: string; allow: string[]; port: number }) => {
    const tools = await startExampleToolServer({ sandbox: o.sandbox, allowedHosts: o.allow, port: o.port });
    process.stderr.write(`example tool server at ${tools.url.href}\n`);
    closeOnSignal(tools.close);
  });

program
  .command('client')
  .description('run the example client against a gateway: ordinary calls, then an attack-like sequence')
  .option('--url <url>', 'the gateway MCP endpoint', 'http://127.0.0.1:7800/mcp')
  .option('--token <token>', 'the agent bearer token', DEMO_AGENTS[1].token)
  .option('--docs-host <host>', 'the host ordinary web_fetch calls go to', 'localhost:7802')
  .action(async (o: { url: string; token: string; docsHost: string }) => {
    await runExampleClient(new URL(o.url), o.token, o.docsHost, (line) => console.log(line));
  });

// A reader that stops early (`harombe-gateway client | head`) closes the pipe: stop quietly with exit 0, as Unix
// tools do, instead of dying on an unhandled EPIPE with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError)
    process.exit(error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2);
  console.error(`harombe-gateway: ${(error as Error).message}`);
  process.exit(1);
}
