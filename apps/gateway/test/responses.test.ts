import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../src/index.js';
import {
  call,
  decisionOf,
  deniedText,
  type Harness,
  HOUR,
  LIVE_DAY,
  type LogLine,
  startHarness,
  textOf,
  withReasonsInMeta,
} from './helpers.js';

const MONDAY_MORNING = LIVE_DAY + 10 * HOUR + 5 * 60_000; // ops-bot works around the clock, ~6 calls an hour
const SECOND = 1000;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Reads of ops-bot's ordinary log files, one every `spacingMs` from `from`, until one is refused. */
async function burstUntilRefused(
  harness: Harness,
  client: Client,
  from: number,
  spacingMs: number,
): Promise<{ allowed: number; refused: CallToolResult; at: number }> {
  for (let i = 0; i < 30; i++) {
    const at = from + i * spacingMs;
    harness.setTime(at);
    const result = await call(client, 'read_file', { path: `logs/file-${(i % 7) + 1}.txt` });
    if (result.isError) return { allowed: i, refused: result, at };
    expect(textOf(result)).toContain('app started');
  }
  throw new Error('30 calls in a burst and none refused');
}

function lastLine(logs: LogLine[], msg: string): LogLine {
  const line = logs.filter((l) => l.msg === msg).at(-1);
  if (line === undefined) throw new Error(`no log line '${msg}'`);
  return line;
}

describe('a burst of ordinary calls (a state anomaly)', () => {
  it('throttles the agent for the configured time, denies a credential read meanwhile, and lets calls through after', async () => {
    h = await startHarness(withReasonsInMeta);
    const client = await h.connect('ops-bot');
    const burst = await burstUntilRefused(h, client, MONDAY_MORNING, 2 * SECOND);
    // A few calls pass; then the agent is paused, not denied, and told for how long.
    expect(burst.allowed).toBeGreaterThanOrEqual(3);
    expect(textOf(burst.refused)).toBe(
      'Throttled by the harombe gateway: calls of this agent are paused. Retry after 60 seconds.',
    );
    expect(decisionOf(burst.refused)).toMatchObject({
      decision: 'throttle',
      retryAfterSeconds: 60,
      reasons: ['state'],
    });
    const throttled = lastLine(h.logs, 'call throttled');
    expect(throttled).toMatchObject({ agentId: 'ops-bot', tool: 'read_file', retryAfterSeconds: 60 });
    expect(throttled.path).toMatch(/^logs\/file-\d\.txt$/);
    expect(throttled.tailProbability).toEqual(expect.any(Number));

    // 20 s into the pause: another ordinary call waits for the rest of it.
    h.setTime(burst.at + 20 * SECOND);
    const waiting = await call(client, 'list_dir', { path: 'logs' });
    expect(decisionOf(waiting)).toMatchObject({ decision: 'throttle', retryAfterSeconds: 40 });
    // A credential read is not paused but denied: it is risky in itself.
    const secret = await call(client, 'read_file', { path: '.ssh/id_rsa' });
    expect(textOf(secret)).toBe(deniedText('read_file'));
    expect(decisionOf(secret)).toMatchObject({
      decision: 'deny',
      appliesTo: 'call',
      reasons: ['sensitive-location'],
      risks: [{ risk: 'sensitive-location', detail: 'ssh-key' }],
    });
    expect(lastLine(h.logs, 'call denied')).toMatchObject({
      path: '.ssh/id_rsa',
      reasons: ['sensitive-location'],
    });

    // After the stated time, ordinary calls succeed again, though the hour still holds the burst.
    for (let i = 0; i < 3; i++) {
      h.setTime(burst.at + 61 * SECOND + i * 30 * SECOND);
      const again = await call(client, 'read_file', { path: 'logs/file-2.txt' });
      expect(again.isError).toBeFalsy();
      expect(textOf(again)).toBe('2026-01-01T00:00:00Z app started (2)\n');
    }
    expect(lastLine(h.logs, 'state anomaly let through (pause served)')).toMatchObject({
      decision: 'allow',
      reasons: ['state'],
      echo: true,
    });

    // A renewed burst at the pace of the first is paused again.
    const renewed = await burstUntilRefused(h, client, burst.at + 4 * 60 * SECOND, 2 * SECOND);
    expect(decisionOf(renewed.refused)).toMatchObject({ decision: 'throttle', retryAfterSeconds: 60 });
    const metrics = await h.gateway.metrics.registry.metrics();
    expect(metrics).toMatch(/harombe_gateway_throttled_calls_total [2-9]/);
    expect(metrics).toMatch(/harombe_gateway_denied_calls_total\{reason="sensitive-location"\} 1/);
  });

  it('says so in the configured words, and without reasons in _meta by default', async () => {
    h = await startHarness((c: GatewayConfigInput) => ({
      ...c,
      responses: { throttleSeconds: 90, throttledText: 'Slow down; {tool} again in {seconds}s.' },
    }));
    const client = await h.connect('ops-bot');
    const burst = await burstUntilRefused(h, client, MONDAY_MORNING, 2 * SECOND);
    expect(textOf(burst.refused)).toBe('Slow down; read_file again in 90s.');
    // No scores, reasons or dimension names reach the agent.
    expect(decisionOf(burst.refused)).toEqual({
      decision: 'throttle',
      response: 'throttle',
      retryAfterSeconds: 90,
    });
    // The log has them.
    expect(lastLine(h.logs, 'call throttled')).toMatchObject({
      reasons: ['state'],
      threatLevel: expect.any(String),
      explanation: expect.stringContaining('calls in the last hour'),
    });
  });
});

describe('a call that is risky in itself', () => {
  it('is denied when it uses a tool the agent has never used', async () => {
    h = await startHarness(withReasonsInMeta);
    h.setTime(MONDAY_MORNING);
    const client = await h.connect('ops-bot');
    expect((await call(client, 'list_dir', { path: 'logs' })).isError).toBeFalsy();
    // ops-bot reads logs and fetches docs; it has never written a note.
    const note = await call(client, 'write_note', { name: 'x', text: 'y' });
    expect(textOf(note)).toBe(deniedText('write_note'));
    expect(decisionOf(note)).toMatchObject({
      decision: 'deny',
      reasons: ['never-used-tool'],
      risks: [{ risk: 'never-used-tool', detail: 'write_note' }],
    });
  });

  it('is left to the detector alone when the rule is switched off', async () => {
    h = await startHarness((c) => withReasonsInMeta({ ...c, responses: { denyNewTools: false } }));
    h.setTime(MONDAY_MORNING);
    const client = await h.connect('ops-bot');
    const note = await call(client, 'write_note', { name: 'x', text: 'y' });
    // The detector finds a tool this agent never used unusual too: denied as a threat, not by the rule.
    expect(decisionOf(note)).toMatchObject({ decision: 'deny', reasons: ['threat'] });
    expect(decisionOf(note).explanation).toMatch(/tool write_note never used by this agent/);
  });
});
