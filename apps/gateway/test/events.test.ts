import { parseSecurityEvent } from '@harombe/security-ml';
import { describe, expect, it } from 'vitest';
import {
  completedEvent,
  destinationOf,
  parseGatewayConfig,
  StaticTokenVerifier,
  sha256Hex,
  toolCallEvent,
} from '../src/index.js';

const config = parseGatewayConfig({
  agents: [{ agentId: 'a', token: 'a-token-of-sixteen+' }],
  upstreams: [{ name: 'tools', url: 'http://127.0.0.1:1/mcp' }],
  events: { tools: { read_file: { eventType: 'file_operation' }, list_dir: { pathKind: 'directory' } } },
});
const context = { agentId: 'a', eventId: 'e-1', sessionId: 's-1' };
const at = new Date('2026-02-02T10:00:00Z');

describe('toolCallEvent', () => {
  it('records what is known before the call: tool, event type, path, destination host', () => {
    const event = toolCallEvent('read_file', { path: 'papers/x.txt' }, context, at, config.events);
    expect(event).toEqual({
      timestamp: at,
      event_type: 'file_operation',
      tool_name: 'read_file',
      agent_id: 'a',
      event_id: 'e-1',
      session_id: 's-1',
      file_path: 'papers/x.txt',
    });
    expect(
      toolCallEvent('fetch', { url: 'https://API.Example.com:8443/x' }, context, at, config.events),
    ).toMatchObject({
      event_type: 'tool_call',
      destination_domain: 'api.example.com',
    });
    expect(
      toolCallEvent('fetch', { url: 'http://10.1.2.3/x' }, context, at, config.events).destination_ip,
    ).toBe('10.1.2.3');
    expect(
      toolCallEvent('fetch', { url: 'http://[::1]:80/' }, context, at, config.events).destination_ip,
    ).toBe('::1');
  });

  it('makes a listed directory its own location', () => {
    expect(toolCallEvent('list_dir', { path: 'logs' }, context, at, config.events).file_path).toBe('logs/');
    expect(toolCallEvent('list_dir', { path: 'logs/' }, context, at, config.events).file_path).toBe('logs/');
    // At the length limit the slash still fits: the event stays valid (it was 4097 characters).
    const long = toolCallEvent('list_dir', { path: 'd'.repeat(5000) }, context, at, config.events);
    expect(long.file_path).toHaveLength(4096);
    expect(parseSecurityEvent(long).filePath?.endsWith('/')).toBe(true);
  });

  it('ignores arguments that are not text, and URLs without a host', () => {
    const event = toolCallEvent('x', { path: 42, url: 'not a url' }, context, at, config.events);
    expect(event.file_path).toBeUndefined();
    expect(event.destination_domain).toBeUndefined();
  });

  it('assesses a URL whose host the event schema rejects as an unparseable, never-seen destination', () => {
    const args = { path: 'secrets/id_rsa', url: 'http://x!y/' };
    const event = toolCallEvent('read_file', args, context, at, config.events);
    // The rest of the call is kept: the secret read is still seen.
    expect(event).toMatchObject({ file_path: 'secrets/id_rsa', tool_name: 'read_file' });
    expect(event.destination_domain).toMatch(/^unparseable-[0-9a-f]{16}\.invalid$/);
    expect(event.metadata).toEqual({ unparseable_destination: 'x!y' });
    const parsed = parseSecurityEvent(event);
    expect(parsed.filePath).toBe('secrets/id_rsa');
    // Each raw host is a destination of its own: one learned value does not cover the others.
    const other = toolCallEvent('fetch', { url: 'http://x$y/' }, context, at, config.events);
    expect(other.destination_domain).toMatch(/^unparseable-/);
    expect(other.destination_domain).not.toBe(event.destination_domain);
  });

  it('reads the host of URLs the URL parser refuses, and of scheme-relative URLs', () => {
    expect(destinationOf('http://x y/path')).toEqual({ kind: 'unparseable', host: 'x y' });
    expect(destinationOf('https://user@exfil.example.net:99999/')).toEqual({
      kind: 'unparseable',
      host: 'exfil.example.net:99999',
    });
    expect(destinationOf('//Exfil.Example.net/x')).toEqual({ kind: 'domain', host: 'exfil.example.net' });
    expect(destinationOf(`http://${'a'.repeat(300)}.com/`)?.kind).toBe('unparseable');
    // Text that names no host is no destination.
    expect(destinationOf('mailto:a@b.c')).toBeUndefined();
    expect(destinationOf('docs/page')).toBeUndefined();
    for (const url of ['http://x y/', '//x!y/', 'foo://a!b/c']) {
      expect(() => parseSecurityEvent(toolCallEvent('f', { url }, context, at, config.events))).not.toThrow();
    }
  });

  it('produces events the detector accepts, before and after the call', () => {
    const event = toolCallEvent('fetch', { url: 'http://[::1]/', path: 'a/b' }, context, at, config.events);
    expect(() => parseSecurityEvent(event)).not.toThrow();
    const done = parseSecurityEvent(completedEvent(event, { durationMs: 12.5, success: false }));
    expect(done).toMatchObject({ durationMs: 12.5, success: false, status: 'failure' });
  });
});

describe('gateway configuration and identity', () => {
  it('names the field and the problem in a bad configuration', () => {
    expect(() => parseGatewayConfig({ agents: [{ agentId: 'a', token: 'short' }], upstreams: [] })).toThrow(
      /gateway config\.agents\[0\]\.token: .*16 characters.*; gateway config\.upstreams: /,
    );
    expect(() =>
      parseGatewayConfig({
        agents: [{ agentId: 'a' }],
        upstreams: [{ name: 't', url: 'http://x/mcp' }],
      }),
    ).toThrow(/exactly one of token and tokenSha256/);
    expect(() =>
      parseGatewayConfig({
        agents: [
          { agentId: 'a', token: 'a-token-of-sixteen+' },
          { agentId: 'a', token: 'another-token-16chars' },
        ],
        upstreams: [{ name: 't', url: 'http://x/mcp' }],
      }),
    ).toThrow(/agent a is configured twice/);
  });

  it('limits sessions per agent to a tenth of all sessions unless told otherwise', () => {
    const base = {
      agents: [{ agentId: 'a', token: 'a-token-of-sixteen+' }],
      upstreams: [{ name: 't', url: 'http://x/mcp' }],
    };
    expect(parseGatewayConfig(base).sessions).toEqual({ max: 1000, maxPerAgent: 100, idleMinutes: 30 });
    expect(parseGatewayConfig({ ...base, sessions: { max: 5 } }).sessions.maxPerAgent).toBe(1);
    expect(parseGatewayConfig({ ...base, sessions: { maxPerAgent: 3 } }).sessions.maxPerAgent).toBe(3);
    expect(() => parseGatewayConfig({ ...base, sessions: { max: 10, maxPerAgent: 11 } })).toThrow(
      /gateway config\.sessions\.maxPerAgent: expected at most sessions\.max/,
    );
  });

  it('maps tokens, plain or as SHA-256, to agent ids and rejects others', async () => {
    const verifier = new StaticTokenVerifier([
      { agentId: 'plain', token: 'plain-token-0123456789' },
      { agentId: 'hashed', tokenSha256: sha256Hex('hashed-token-0123456789') },
    ]);
    expect((await verifier.verifyAccessToken('plain-token-0123456789')).clientId).toBe('plain');
    expect((await verifier.verifyAccessToken('hashed-token-0123456789')).clientId).toBe('hashed');
    await expect(verifier.verifyAccessToken('plain-token-012345678')).rejects.toThrow(/Unknown token/);
    expect(
      () =>
        new StaticTokenVerifier([
          { agentId: 'x', token: 'same-token-0123456789' },
          { agentId: 'y', token: 'same-token-0123456789' },
        ]),
    ).toThrow(/share a token/);
  });
});
