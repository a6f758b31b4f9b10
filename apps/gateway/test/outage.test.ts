import { describe, expect, it } from 'vitest';
import type { DecisionRecord } from '../src/index.js';
import { call, HOUR, LIVE_DAY, startHarness, textOf } from './helpers.js';

const MONDAY_MORNING = LIVE_DAY + 10 * HOUR + 5 * 60_000;

interface Health {
  status: string;
  upstreams: Array<{ name: string; state: string }>;
}

describe('an upstream outage', () => {
  it('is not recorded as the agent’s failures, and /healthz says degraded while it lasts', async () => {
    const records: DecisionRecord[] = [];
    const h = await startHarness(
      // Probe on every /healthz, so the test sees the state at once.
      (c) => ({ ...c, health: { probeIntervalMs: 0, probeTimeoutMs: 500 } }),
      { decisions: { onDecision: (record) => void records.push(record) } },
    );
    try {
      const health = async () => {
        const response = await fetch(new URL('/healthz', h.url));
        expect(response.status).toBe(200);
        return (await response.json()) as Health;
      };
      expect(await health()).toMatchObject({
        status: 'ok',
        upstreams: [{ name: 'example-tools', state: 'up' }],
      });
      h.setTime(MONDAY_MORNING);
      const client = await h.connect('ops-bot');
      const threats = h.gateway.threats;
      const state = () =>
        JSON.stringify([threats.learner.exportAgent('ops-bot'), threats.detector.exportModel('ops-bot')]);

      // The tool's own error result is the agent's failure: it is recorded.
      const before = state();
      const missing = await call(client, 'read_file', { path: 'logs/file-99.txt' });
      expect(textOf(missing)).toBe('no such file or directory');
      expect(state()).not.toBe(before);
      expect(records.at(-1)).toMatchObject({ outcome: 'tool-error', event: { success: false } });

      // The upstream goes away mid-run: calls fail, the agent's windows and baseline do not move.
      await h.stopTools();
      const during = state();
      for (let i = 1; i <= 3; i++) {
        h.setTime(MONDAY_MORNING + i * 60_000);
        const failed = await call(client, 'read_file', { path: `logs/file-${i}.txt` });
        expect(failed.isError).toBe(true);
        expect(textOf(failed)).toBe('upstream example-tools failed on read_file; the gateway logged why.');
      }
      expect(state()).toBe(during);
      expect(records.slice(-3).map((r) => r.outcome)).toEqual([
        'upstream-error',
        'upstream-error',
        'upstream-error',
      ]);
      expect(h.logs.filter((l) => l.msg === 'upstream call failed')).toHaveLength(3);
      const metrics = await h.gateway.metrics.registry.metrics();
      expect(metrics).toMatch(
        /harombe_gateway_tool_calls_total\{upstream="example-tools",outcome="upstream-error"\} 3/,
      );

      const degraded = await health();
      expect(degraded.status).toBe('degraded');
      // The state only (the endpoint is unauthenticated); why it is down is in the log.
      expect(degraded.upstreams).toEqual([{ name: 'example-tools', state: 'down' }]);
      expect(
        h.logs.some((l) => l.msg === 'upstream down (health check)' && l.upstream === 'example-tools'),
      ).toBe(true);
    } finally {
      await h.close();
    }
  });
});

describe('the decision sink', () => {
  it('receives every call with its decision, outcome and context; its failures change nothing', async () => {
    const records: DecisionRecord[] = [];
    let fail = false;
    const h = await startHarness(undefined, {
      decisions: {
        onDecision: async (record) => {
          if (fail) throw new Error('disk full');
          records.push(record);
        },
      },
    });
    try {
      h.setTime(MONDAY_MORNING);
      const client = await h.connect('ops-bot');
      await call(client, 'read_file', { path: 'logs/file-1.txt' });
      await call(client, 'read_file', { path: '.aws/credentials' });
      expect(records).toHaveLength(2);
      const [allowed, denied] = records;
      expect(allowed).toMatchObject({
        agentId: 'ops-bot',
        tool: 'read_file',
        upstream: 'example-tools',
        decision: 'allow',
        outcome: 'success',
        arguments: { path: 'logs/file-1.txt' },
        event: { tool_name: 'read_file', file_path: 'logs/file-1.txt', success: true },
        assessment: { isThreat: false },
      });
      expect(allowed!.sessionId).toEqual(expect.any(String));
      expect(allowed!.event.event_id).toBe(allowed!.eventId);
      expect(denied).toMatchObject({
        decision: 'deny',
        outcome: 'not-forwarded',
        response: { action: 'deny', reasons: ['sensitive-location'] },
      });
      expect(denied!.response.risks).toEqual([{ risk: 'sensitive-location', detail: 'cloud-credentials' }]);

      fail = true;
      const result = await call(client, 'read_file', { path: 'logs/file-2.txt' });
      expect(textOf(result)).toContain('app started (2)');
      expect(h.logs.find((l) => l.msg === 'decision sink failed')).toMatchObject({
        agentId: 'ops-bot',
        tool: 'read_file',
      });
    } finally {
      await h.close();
    }
  });
});
