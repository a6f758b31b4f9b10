import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryModelStore, ThreatDetector } from '@harombe/security-ml';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallGuard, type GatewayConfigInput, GatewayMetrics, parseGatewayConfig } from '../src/index.js';
import {
  call,
  decisionOf,
  deniedText,
  type Harness,
  startHarness,
  textOf,
  withReasonsInMeta,
} from './helpers.js';

/** A store whose look-ups can be made to hang, as a stalled disk or network store would. */
class StallingStore extends MemoryModelStore {
  stalled = false;
  override has(agentId: string, kind: string): Promise<boolean> {
    return this.stalled ? new Promise<boolean>(() => {}) : super.has(agentId, kind);
  }
}

const policy =
  (failurePolicy: 'closed' | 'open', extra: Record<string, unknown> = {}) =>
  (c: GatewayConfigInput): GatewayConfigInput =>
    withReasonsInMeta({
      ...c,
      detection: { ...c.detection, failurePolicy, latencyBudgetMs: 50, ...extra },
    });

let h: Harness | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await h?.close();
  h = undefined;
});

describe('when detection throws', () => {
  const breakDetector = (harness: Harness) =>
    vi.spyOn(harness.gateway.threats, 'assess').mockImplementation(() => {
      throw new Error('model exploded');
    });

  it('fail-closed denies the call with the generic text, and says why in _meta and the log', async () => {
    h = await startHarness(policy('closed'));
    breakDetector(h);
    const result = await call(await h.connect('ops-bot'), 'read_file', { path: 'logs/file-1.txt' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(deniedText('read_file'));
    expect(decisionOf(result)).toMatchObject({
      decision: 'deny',
      reasons: ['detection-error'],
      failure: 'error',
      error: 'model exploded',
    });
    const logged = h.logs.find((l) => l.msg === 'detection failed');
    expect(logged).toMatchObject({
      level: 50,
      failure: 'error',
      failurePolicy: 'closed',
      error: 'model exploded',
    });
  });

  it('fail-open forwards the call and logs the failure', async () => {
    h = await startHarness(policy('open'));
    breakDetector(h);
    const result = await call(await h.connect('ops-bot'), 'read_file', { path: 'logs/file-1.txt' });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('app started (1)');
    expect(h.logs.find((l) => l.msg === 'detection failed')).toMatchObject({
      failure: 'error',
      decision: 'allow',
    });
    const metrics = await h.gateway.metrics.registry.metrics();
    expect(metrics).toMatch(/harombe_gateway_detection_failures_total\{reason="error"\} 1/);
  });
});

describe('when loading a model exceeds the latency budget', () => {
  async function stalledHarness(failurePolicy: 'closed' | 'open') {
    const store = new StallingStore();
    const threats = new ThreatDetector({ store, seed: 7 });
    const harness = await startHarness(policy(failurePolicy), { threats });
    // intern-bot has no model in memory: its first call asks the (now stalled) store.
    store.stalled = true;
    return harness;
  }

  it('fail-closed denies when the budget runs out, on the clock of the budget and not before', async () => {
    h = await stalledHarness('closed');
    const client = await h.connect('intern-bot');
    // The load the guard waits for: once it is asked for, the budget's timer is set (the same turn).
    const asked = new Promise<void>((resolve) => {
      const threats = h!.gateway.threats;
      const ensureLoaded = threats.ensureLoaded.bind(threats);
      vi.spyOn(threats, 'ensureLoaded').mockImplementation((agentId, options) => {
        resolve();
        return ensureLoaded(agentId, options);
      });
    });
    // The budget is counted on a fake clock that moves only when the test moves it, so a slow or
    // loaded machine cannot make the call look late (sockets and the rest keep real time).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const pending = call(client, 'list_dir', { path: 'logs' });
    await asked;
    const failures = () => h!.logs.filter((l) => l.msg === 'detection failed');
    const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
    await vi.advanceTimersByTimeAsync(49);
    await settle();
    expect(failures(), 'gave up before the 50 ms budget ran out').toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    // A budget not enforced (or enforced late) leaves the call hanging on the stalled store here.
    expect(failures(), 'still waiting once the 50 ms budget ran out').toHaveLength(1);
    expect(failures()[0]).toMatchObject({ failure: 'budget', failurePolicy: 'closed' });
    vi.useRealTimers();
    const result = await pending;
    expect(textOf(result)).toBe(deniedText('list_dir'));
    expect(decisionOf(result)).toMatchObject({
      failure: 'budget',
      error: 'no verdict within the 50 ms budget',
    });
  });

  it('fail-open lets the call through', async () => {
    h = await stalledHarness('open');
    const result = await call(await h.connect('intern-bot'), 'list_dir', { path: 'logs' });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('file-1.txt');
    expect(h.logs.find((l) => l.msg === 'detection failed')).toMatchObject({ failure: 'budget' });
  });
});

describe('when there is nothing to score with', () => {
  it('fail-closed denies calls of agents without a model when no fleet model exists', async () => {
    h = await startHarness((c) =>
      policy('closed')({ ...c, detection: { ...c.detection, history: undefined } }),
    );
    expect(h.gateway.models.coldStart).toEqual(['research-bot', 'ops-bot', 'intern-bot']);
    const result = await call(await h.connect('ops-bot'), 'read_file', { path: 'logs/file-1.txt' });
    expect(textOf(result)).toBe(deniedText('read_file'));
    expect(decisionOf(result).failure).toBe('no-model');
    expect(decisionOf(result).error).toMatch(/no model for agent ops-bot and no fleet model/);
  });

  it('unknownAgents warn lets such calls through unassessed, with a warning in the log', async () => {
    h = await startHarness((c) =>
      policy('closed')({ ...c, detection: { ...c.detection, history: undefined, unknownAgents: 'warn' } }),
    );
    expect(h.gateway.models.fleetModel).toBe('none');
    const result = await call(await h.connect('ops-bot'), 'read_file', { path: 'logs/file-1.txt' });
    expect(result.isError).toBeFalsy();
    expect(
      h.logs.some((l) => l.msg === 'no model for this agent and no fleet model: call let through unassessed'),
    ).toBe(true);
  });

  it('uses the fleet model a gateway trained and saved, when started without a history', async () => {
    const modelDir = await mkdtemp(join(tmpdir(), 'harombe-fleet-'));
    // Trained from the history, only research-bot configured: its model and the fleet model are saved.
    h = await startHarness((c) => ({
      ...c,
      agents: c.agents.filter((a) => a.agentId === 'research-bot'),
      detection: { ...c.detection, modelDir },
    }));
    expect(h.gateway.models.fleetModel).toBe('trained');
    await h.close();
    // Restarted without a history: the stored fleet model scores the agents without a model.
    h = await startHarness((c) => ({ ...c, detection: { ...c.detection, history: undefined, modelDir } }));
    expect(h.gateway.models.fleetModel).toBe('stored');
    expect(h.gateway.models.loaded).toContain('research-bot');
    expect(h.gateway.models.coldStart).toContain('intern-bot');
    const result = await call(await h.connect('intern-bot'), 'list_dir', { path: 'logs' });
    // With the default unknownAgents 'fail', a call without a fleet model is denied: this one is
    // scored by the stored fleet model instead.
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('file-1.txt');
    await rm(modelDir, { recursive: true, force: true });
  });
});

describe('when an argument is something the event schema rejects', () => {
  it('fail-open still assesses and denies a secret read that carries a URL with an unparseable host', async () => {
    h = await startHarness(policy('open'));
    const client = await h.connect('ops-bot');
    const result = await call(client, 'read_file', { path: 'secrets/id_rsa', url: 'http://x!y/' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(deniedText('read_file'));
    expect(decisionOf(result)).toMatchObject({ decision: 'deny', reasons: ['threat'] });
    expect(['high', 'critical']).toContain(decisionOf(result).threatLevel);
    expect(decisionOf(result).failure).toBeUndefined();
    expect(h.logs.find((l) => l.msg === 'detection failed')).toBeUndefined();
  });

  it('fail-open denies a fetch whose only destination is an unparseable host, as one never contacted', async () => {
    h = await startHarness(policy('open'));
    const client = await h.connect('ops-bot');
    const result = await call(client, 'web_fetch', { url: 'http://x!y/upload' });
    expect(textOf(result)).toBe(deniedText('web_fetch'));
    expect(decisionOf(result).explanation).toMatch(
      /destination unparseable-[0-9a-f]{16}\.invalid never contacted/,
    );
    expect(h.logs.find((l) => l.msg === 'detection failed')).toBeUndefined();
  });

  it('denies an event the detector cannot take whatever the failure policy, as a second line', async () => {
    const config = parseGatewayConfig({
      agents: [{ agentId: 'a', token: 'a-token-of-sixteen+' }],
      upstreams: [{ name: 't', url: 'http://127.0.0.1:1/mcp' }],
      detection: { failurePolicy: 'open' },
    });
    const metrics = new GatewayMetrics();
    const threats = new ThreatDetector({ store: new MemoryModelStore(), seed: 7 });
    const guard = new CallGuard(threats, config, metrics, pino({ level: 'silent' }));
    // An event as a mapping that missed a case would build it from the agent's argument.
    const event = { timestamp: new Date(), event_type: 'tool_call', destination_domain: 'x!y' };
    const decision = await guard.check('a', event, Date.now());
    expect(decision).toMatchObject({
      decision: 'deny',
      response: { action: 'deny', reasons: ['detection-invalid-event'] },
      failure: { reason: 'invalid-event' },
    });
    expect(decision.failure?.message).toMatch(/destination_domain/);
    expect(await metrics.registry.metrics()).toMatch(
      /harombe_gateway_denied_calls_total\{reason="detection-invalid-event"\} 1/,
    );
  });
});
