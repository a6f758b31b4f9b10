// The gateway's cost under load: concurrent MCP SDK clients on loopback call tools through the
// gateway (running in a child process, as in production) and, for comparison, straight at the
// upstream. The detection step's own time comes from the gateway's log lines.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connectAsAgent, DEMO_AGENTS } from '@harombe/gateway';
import { percentile } from './stats.js';

export interface LoadResult {
  readonly clients: number;
  readonly calls: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface GatewayBenchResults {
  /** The detection step inside the gateway while under the concurrent load. */
  readonly detection: {
    readonly calls: number;
    readonly p50Us: number;
    readonly p99Us: number;
    readonly target: string;
  };
  readonly throughGateway: LoadResult;
  readonly direct: LoadResult;
  /** CPU, cores and date of the run (parts of BENCHMARKS.md may come from different runs). */
  readonly measuredOn?: string;
}

type Message = { url?: string; toolsUrl?: string; micros?: number[]; reset?: boolean };

function nextMessage(child: ChildProcess): Promise<Message> {
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as Message));
    child.once('exit', (code) => reject(new Error(`gateway bench server exited with ${code}`)));
  });
}

const ops = DEMO_AGENTS.find((a) => a.agentId === 'ops-bot')!;

/** `clients` concurrent sessions, each making `perClient` calls back to back. */
async function load(
  url: URL,
  token: string | undefined,
  clients: number,
  perClient: number,
): Promise<LoadResult> {
  const sessions = await Promise.all(
    Array.from({ length: clients }, () => connectAsAgent(url, token ?? '', 'harombe-bench')),
  );
  const latencies = new Float64Array(clients * perClient);
  let n = 0;
  const started = performance.now();
  await Promise.all(
    sessions.map(async (client, c) => {
      for (let i = 0; i < perClient; i++) {
        const k = (c * perClient + i) % 20;
        const [name, args] =
          i % 3 === 2 ? ['list_dir', { path: 'logs' }] : ['read_file', { path: `logs/file-${k + 1}.txt` }];
        const t = performance.now();
        await client.callTool({ name, arguments: args });
        latencies[n++] = performance.now() - t;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(sessions.map((s) => s.close()));
  return {
    clients,
    calls: n,
    perSecond: n / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

export async function benchGateway(clients = 8, perClient = 400): Promise<GatewayBenchResults> {
  const child = fork(fileURLToPath(new URL('./gateway-server.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const ready = await nextMessage(child);
    const gatewayUrl = new URL(ready.url!);
    const toolsUrl = new URL(ready.toolsUrl!);
    // Warm up both paths (JIT, connections), then measure.
    await load(gatewayUrl, ops.token, 2, 100);
    await load(toolsUrl, undefined, 2, 100);
    child.send('reset');
    await nextMessage(child);
    const throughGateway = await load(gatewayUrl, ops.token, clients, perClient);
    child.send('stats');
    const micros = (await nextMessage(child)).micros!;
    const direct = await load(toolsUrl, undefined, clients, perClient);
    return {
      detection: {
        calls: micros.length,
        p50Us: percentile(micros, 0.5),
        p99Us: percentile(micros, 0.99),
        target: 'p99 <= 1000 us added',
      },
      throughGateway,
      direct,
    };
  } finally {
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}
