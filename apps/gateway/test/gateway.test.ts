import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  decisionOf,
  deniedText,
  type Harness,
  HOUR,
  LIVE_DAY,
  startHarness,
  textOf,
  withReasonsInMeta,
} from './helpers.js';

const MONDAY_MORNING = LIVE_DAY + 10 * HOUR + 30 * 60_000; // 10:30 UTC, research-bot works 08-18 weekdays
const TUESDAY_NIGHT = LIVE_DAY + 24 * HOUR + 3 * HOUR + 10 * 60_000; // 03:10 UTC

describe('the gateway in enforce mode', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(withReasonsInMeta);
  });
  afterAll(() => h.close());

  it('trains agents from the history at start-up, saves their models, and leaves the others on the fleet model', () => {
    expect(h.gateway.models.trained).toEqual(expect.arrayContaining(['research-bot', 'ops-bot']));
    expect(h.gateway.models.coldStart).toEqual(['intern-bot']);
  });

  it('offers the upstream tools', async () => {
    const client = await h.connect('research-bot');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['list_dir', 'read_file', 'web_fetch', 'write_note']);
  });

  it('lets an agent’s ordinary calls through to the upstream and records their outcomes', async () => {
    h.setTime(MONDAY_MORNING);
    const client = await h.connect('research-bot');
    const before = h.gateway.threats.learner.computeBaseline('research-bot')!.eventCount;
    const logged = h.logs.length;
    const listing = await call(client, 'list_dir', { path: 'papers' });
    expect(listing.isError).toBeFalsy();
    expect(textOf(listing)).toContain('file-3.txt');
    const file = await call(client, 'read_file', { path: 'papers/file-3.txt' });
    expect(textOf(file)).toBe('Paper 3: notes on agent security.\n');
    const page = await call(client, 'web_fetch', { url: `http://${h.docsHost}/guide` });
    expect(textOf(page)).toContain('docs page /guide');
    const note = await call(client, 'write_note', { name: 'summary', text: 'forests isolate' });
    expect(textOf(note)).toContain('wrote notes/summary.md');
    const allowed = h.logs
      .slice(logged)
      .filter((l) => l.msg === 'call allowed' && l.agentId === 'research-bot');
    expect(allowed.length).toBe(4);
    // Each forwarded call the detector found ordinary (below LOW) entered the baseline with its
    // outcome; one worth a look is recorded as activity but not learned.
    const ordinary = allowed.filter((l) => l.threatLevel === 'none').length;
    expect(ordinary).toBeGreaterThanOrEqual(3);
    expect(h.gateway.threats.learner.computeBaseline('research-bot')!.eventCount).toBe(before + ordinary);
    expect(allowed.every((l) => l.decision === 'allow' && typeof l.detectionMicros === 'number')).toBe(true);
  });

  it('denies an off-hours attack (reads of unusual paths, a fetch to a new host), the explanation in _meta and the log', async () => {
    h.setTime(TUESDAY_NIGHT);
    const client = await h.connect('research-bot');
    const before = h.gateway.threats.learner.computeBaseline('research-bot')!.eventCount;
    // The first threat opens an incident: a new destination during it is a risk of its own.
    const attempts: Array<[string, Record<string, unknown>, RegExp, string]> = [
      ['read_file', { path: 'secrets/id_rsa' }, /file location secrets never accessed/, 'threat'],
      ['list_dir', { path: '../../etc' }, /file location \.\.\/\.\.\/etc never accessed/, 'threat'],
      [
        'web_fetch',
        { url: 'https://exfil.example.net/upload' },
        /destination exfil\.example\.net never contacted/,
        'new-destination-during-incident',
      ],
    ];
    for (const [name, args, why, reason] of attempts) {
      const result = await call(client, name, args);
      expect(result.isError).toBe(true);
      // The agent reads the generic text; the reasons are in _meta (configured here) and the log.
      expect(textOf(result)).toBe(deniedText(name));
      const decision = decisionOf(result);
      expect(decision).toMatchObject({ decision: 'deny', appliesTo: 'call', reasons: [reason] });
      expect(decision.explanation).toMatch(why);
      expect(['high', 'critical']).toContain(decision.threatLevel);
    }
    const denied = h.logs.filter((l) => l.msg === 'call denied');
    expect(denied.length).toBe(3);
    expect(denied.every((l) => l.level === 40 && typeof l.explanation === 'string')).toBe(true);
    // Each line carries the call's context: event id, tool, path or destination, session, tail.
    for (const line of denied) {
      expect(line).toMatchObject({ agentId: 'research-bot', sessionId: expect.any(String) });
      expect(line.eventId).toMatch(/^[0-9a-f-]{36}$/);
      expect(line.tailProbability).toEqual(expect.any(Number));
      expect(line.path ?? line.destination).toEqual(expect.any(String));
    }
    expect(denied.map((l) => l.path ?? l.destination)).toEqual([
      'secrets/id_rsa',
      '../../etc/',
      'exfil.example.net',
    ]);
    // Denied calls never reach the upstream, so nothing about them is learned.
    expect(h.gateway.threats.learner.computeBaseline('research-bot')!.eventCount).toBe(before);
  });

  it('denies even an ordinary read when it comes at 03:10 from a 08-18 weekday agent', async () => {
    h.setTime(TUESDAY_NIGHT);
    const client = await h.connect('research-bot');
    const result = await call(client, 'read_file', { path: 'papers/file-3.txt' });
    expect(textOf(result)).toBe(deniedText('read_file'));
    expect(decisionOf(result).explanation).toMatch(/time of activity|hour/);
  });

  it('scores an agent without history against the fleet model and says so', async () => {
    h.setTime(MONDAY_MORNING);
    const client = await h.connect('intern-bot');
    const result = await call(client, 'read_file', { path: 'secrets/token' });
    expect(textOf(result)).toBe(deniedText('read_file'));
    expect(decisionOf(result).explanation).toContain('fleet model');
    expect(decisionOf(result).coldStart).toBe(true);
  });

  it('rejects a missing or unknown token with 401 and keeps sessions to the agent that opened them', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(h.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
    expect((await post({})).status).toBe(401);
    const unknown = await post({ authorization: 'Bearer not-a-token-of-anyone' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toContain('invalid_token');
    const client = await h.connect('research-bot');
    const sessionId = (client.transport as { sessionId?: string }).sessionId!;
    expect(sessionId).toBeTruthy();
    const hijack = await post({
      authorization: 'Bearer demo-token-ops-bot-0001',
      'mcp-session-id': sessionId,
    });
    expect(hijack.status).toBe(404);
  });

  it('answers an unreadable body with a JSON-RPC parse error and no stack trace, token or not', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(h.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body,
      });
    const withAndWithoutToken: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer demo-token-ops-bot-0001' },
    ];
    for (const headers of withAndWithoutToken) {
      const response = await post('{"jsonrpc":"2.0","id":1,"method":', headers);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({
        jsonrpc: '2.0',
        error: { code: -32700, message: 'Parse error' },
        id: null,
      });
    }
    // Other body errors too: a body over the parser's limit.
    const tooLarge = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'x'.repeat(200_000) }));
    expect(tooLarge.status).toBe(413);
    const text = await tooLarge.text();
    expect(JSON.parse(text)).toEqual({
      jsonrpc: '2.0',
      error: { code: -32700, message: 'Parse error: request body too large' },
      id: null,
    });
    expect(text).not.toMatch(/node_modules|at |\/work\//);
  });

  it('serves /healthz and Prometheus /metrics with latency, decisions and denials', async () => {
    const health = (await (await fetch(new URL('/healthz', h.url))).json()) as Record<string, unknown>;
    expect(health).toMatchObject({
      status: 'ok',
      mode: 'enforce',
      tools: 4,
      agentsWithModel: 2,
      upstreams: [{ name: 'example-tools', state: 'up' }],
    });
    const metrics = await (await fetch(new URL('/metrics', h.url))).text();
    expect(metrics).toMatch(/harombe_gateway_detection_seconds_count \d+/);
    expect(metrics).toMatch(/harombe_gateway_decisions_total\{level="none",decision="allow"\} \d+/);
    expect(metrics).toMatch(/harombe_gateway_denied_calls_total\{reason="threat"\} [1-9]/);
    expect(metrics).toMatch(
      /harombe_gateway_tool_calls_total\{upstream="example-tools",outcome="success"\} [1-9]/,
    );
  });
});

describe('the gateway in shadow mode', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness((c) => withReasonsInMeta({ ...c, detection: { ...c.detection, mode: 'shadow' } }));
  });
  afterAll(() => h.close());

  it('lets the attack through, flags it in the result and logs it, and does not learn it as normal', async () => {
    h.setTime(TUESDAY_NIGHT);
    const client = await h.connect('research-bot');
    const before = h.gateway.threats.learner.computeBaseline('research-bot')!.eventCount;
    const result = await call(client, 'web_fetch', { url: `http://${h.docsHost}/never-seen-at-night` });
    const read = await call(client, 'read_file', { path: 'secrets/id_rsa' });
    // Forwarded: the docs page arrives; the sandbox itself answers the read of a missing file.
    expect(textOf(result)).toContain('docs page /never-seen-at-night');
    expect(textOf(read)).toBe('no such file or directory');
    const decision = decisionOf(read);
    expect(decision).toMatchObject({ decision: 'allow', response: 'deny' });
    expect(['high', 'critical']).toContain(decision.threatLevel);
    const shadowed = h.logs.filter((l) => l.msg === 'threat let through (shadow mode)');
    expect(shadowed.length).toBeGreaterThanOrEqual(1);
    expect(shadowed[0]).toMatchObject({ decision: 'allow', response: 'deny', mode: 'shadow' });
    expect(h.gateway.threats.learner.computeBaseline('research-bot')!.eventCount).toBe(before);
  });
});

describe('calls of tools nobody offers', () => {
  it('are refused with an MCP error and logged', async () => {
    const h = await startHarness();
    try {
      const client = await h.connect('ops-bot');
      await expect(client.callTool({ name: 'rm_rf', arguments: {} })).rejects.toThrow(/Unknown tool: rm_rf/);
      expect(h.logs.find((l) => l.msg === 'call of an unknown tool')).toMatchObject({
        agentId: 'ops-bot',
        tool: 'rm_rf',
      });
    } finally {
      await h.close();
    }
  });
});
