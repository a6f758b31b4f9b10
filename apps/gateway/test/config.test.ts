import { describe, expect, it } from 'vitest';
import { DEFAULT_DENIED_TEXT, DEFAULT_THROTTLED_TEXT, parseGatewayConfig } from '../src/index.js';

const minimal = {
  agents: [{ agentId: 'a', token: 'a-token-of-sixteen+' }],
  upstreams: [{ name: 't', url: 'http://127.0.0.1:1/mcp' }],
};

describe('the responses and health configuration', () => {
  it('has documented defaults: a 60 s pause, a 60 min incident window, every rule on, generic texts', () => {
    const config = parseGatewayConfig(minimal);
    expect(config.responses).toEqual({
      throttleSeconds: 60,
      incidentMinutes: 60,
      denySensitiveLocations: true,
      denyNewTools: true,
      denyNewDestinationsDuringIncident: true,
      sensitiveLocations: [],
      deniedText: DEFAULT_DENIED_TEXT,
      throttledText: DEFAULT_THROTTLED_TEXT,
      reasonsInMeta: false,
    });
    expect(config.health).toEqual({ probeTimeoutMs: 1000, probeIntervalMs: 5000 });
    expect(DEFAULT_DENIED_TEXT).not.toMatch(/score|level|reason|hour|rate|destination|location/i);
  });

  it('names a bad field', () => {
    expect(() => parseGatewayConfig({ ...minimal, responses: { throttleSeconds: 0 } })).toThrow(
      /responses\.throttleSeconds/,
    );
    expect(() =>
      parseGatewayConfig({
        ...minimal,
        responses: { sensitiveLocations: [{ id: 'Bad Id', description: 'x', patterns: ['*.x'] }] },
      }),
    ).toThrow(/responses\.sensitiveLocations\[0\]\.id: expected a lower-case id/);
  });
});
