import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SessionRefusal, type SessionSlot, SessionTable } from '../src/sessions.js';
import { call, type Harness, startHarness, TOKENS, textOf } from './helpers.js';

const initialize = (url: URL, token: string) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });

describe('sessions per agent', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness((c) => ({ ...c, sessions: { max: 10, maxPerAgent: 2 } }));
  });
  afterAll(() => h.close());

  it('refuses an agent’s sessions beyond its share with 429, while other agents still connect', async () => {
    const first = await h.connect('ops-bot');
    await h.connect('ops-bot');
    await expect(h.connect('ops-bot')).rejects.toThrow(/429|Too many open sessions for this agent/);
    const refused = await initialize(h.url, TOKENS['ops-bot']);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: 'Too many open sessions for this agent' },
      id: null,
    });
    expect(h.logs.find((l) => l.msg === 'session refused: agent limit')).toMatchObject({
      agentId: 'ops-bot',
      limit: 2,
    });
    // Another agent is not locked out, and the agent's open sessions keep working.
    const other = await h.connect('research-bot');
    expect((await other.listTools()).tools.length).toBe(4);
    expect(textOf(await call(first, 'list_dir', { path: 'logs' }))).toContain('file-1.txt');
  });

  it('gives a closed session’s place back to its agent', async () => {
    const held = await h.connect('intern-bot');
    await h.connect('intern-bot');
    expect((await initialize(h.url, TOKENS['intern-bot'])).status).toBe(429);
    await (held.transport as StreamableHTTPClientTransport).terminateSession();
    const again = await h.connect('intern-bot');
    expect((await again.listTools()).tools.length).toBe(4);
  });
});

describe('SessionTable', () => {
  type Held = { readonly agentId: string };
  const slot = (reserved: SessionSlot<Held> | SessionRefusal): SessionSlot<Held> => {
    if (typeof reserved === 'string') throw new Error(`refused: ${reserved}`);
    return reserved;
  };

  it('counts sessions still being opened, so initialisations that arrive together cannot pass a limit', () => {
    const table = new SessionTable<Held>({ max: 3, maxPerAgent: 2 });
    const first = slot(table.reserve('a'));
    slot(table.reserve('a'));
    expect(table.reserve('a')).toBe('agent-full');
    slot(table.reserve('b'));
    expect(table.reserve('c')).toBe('gateway-full');
    expect(table.size).toBe(0);
    first.fill('s-1', { agentId: 'a' });
    expect(table.get('s-1')).toEqual({ agentId: 'a' });
    // Released once, however often it is called: the place goes back to its agent only.
    first.release();
    first.release();
    expect(table.get('s-1')).toBeUndefined();
    expect(typeof table.reserve('a')).toBe('object');
    expect(table.reserve('a')).toBe('agent-full');
    expect(table.reserve('c')).toBe('gateway-full');
  });
});

describe('sessions across agents', () => {
  it('refuses any session beyond the gateway-wide limit with 503', async () => {
    const h = await startHarness((c) => ({ ...c, sessions: { max: 3, maxPerAgent: 2 } }));
    try {
      await h.connect('ops-bot');
      await h.connect('ops-bot');
      await h.connect('research-bot');
      const refused = await initialize(h.url, TOKENS['research-bot']);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ error: { message: 'Too many open sessions' } });
    } finally {
      await h.close();
    }
  });
});
