// Child process of the gateway benchmark: the example tool server, a local docs site and the gateway
// (shadow mode, so every call is assessed and forwarded), with the demo agents trained on a fixed
// simulated history. It reports each call's detection time from the gateway's own log lines.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gateway, GatewayMetrics, startDemoStack } from '@harombe/gateway';
import { pino } from 'pino';

const LIVE_DAY = Date.UTC(2026, 1, 2);
const home = mkdtempSync(join(tmpdir(), 'harombe-gateway-bench-'));
const stack = await startDemoStack({ home, now: new Date(LIVE_DAY + 3_600_000) });
const micros: number[] = [];
const logger = pino(
  { level: 'info' },
  {
    write(line: string) {
      const match = /"detectionMicros":(\d+)/.exec(line);
      if (match) micros.push(Number(match[1]));
    },
  },
);
// Event time moves ten minutes per call: the pace of the agents' history, whatever the load.
let now = LIVE_DAY;
const clock = () => {
  now += 600_000;
  return new Date(now);
};
const gateway = await Gateway.create(
  { ...stack.config, detection: { ...stack.config.detection, mode: 'shadow', saveOnClose: false } },
  { logger, clock, metrics: new GatewayMetrics() },
);
const url = await gateway.listen();
process.send!({ url: url.href, toolsUrl: stack.toolsUrl.href });
process.on('message', async (message: string) => {
  if (message === 'reset') {
    micros.length = 0;
    process.send!({ reset: true });
  } else if (message === 'stats') {
    process.send!({ micros });
  } else if (message === 'stop') {
    await gateway.close();
    await stack.close();
    rmSync(home, { recursive: true, force: true });
    process.exit(0);
  }
});
