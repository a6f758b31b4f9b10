import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError, detect, type Io, report, train } from '../src/index.js';

const quiet = (): Io & { lines: string[] } => {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: () => undefined, interactive: false };
};

const HOSTILE_AGENT = '<script>alert("agent")</script>&amp;';
const HOSTILE_TOOL = '"><img src=x onerror=alert(1)>';
const HOUR = 3_600_000;
const START = Date.UTC(2026, 2, 2);

/** Two agents' events: a working-hours routine, then a night with unusual calls. */
function events(): string[] {
  const out: string[] = [];
  for (const agent of [HOSTILE_AGENT, 'coder-1']) {
    for (let d = 0; d < 10; d++) {
      for (let h = 9; h < 17; h++) {
        for (let k = 0; k < 4; k++) {
          out.push(
            JSON.stringify({
              agent_id: agent,
              timestamp: START + d * 24 * HOUR + h * HOUR + k * 900_000,
              event_type: 'tool_call',
              tool_name: 'read_file',
              file_path: `/srv/app/file-${k}.ts`,
              duration_ms: 100 + k * 10,
              session_id: `s-${d}`,
            }),
          );
        }
      }
    }
  }
  return out;
}

describe('harombe-ml report --results (detect output)', () => {
  it('lists every alert, escapes every value, draws each agent in its own zone on one axis', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harombe-report-'));
    const all = events();
    const history = join(dir, 'history.jsonl');
    writeFileSync(history, `${all.join('\n')}\n`);
    const store = join(dir, 'models');
    await train({ events: history, store, contamination: 0.01, strict: false }, quiet());
    // The live night: the hostile tool, at 03:00, slow, against a new host, for both agents.
    const live = join(dir, 'live.jsonl');
    const night = [HOSTILE_AGENT, 'coder-1'].flatMap((agent) =>
      Array.from({ length: 6 }, (_, i) =>
        JSON.stringify({
          agent_id: agent,
          timestamp: START + 11 * 24 * HOUR + 3 * HOUR + i * 60_000,
          event_type: 'network_request',
          tool_name: HOSTILE_TOOL,
          destination_domain: 'exfil.example',
          duration_ms: 9000,
          resource_usage: { bytes_sent: 50_000_000 },
          event_id: `<e${i}>`,
        }),
      ),
    );
    writeFileSync(live, `${[...all.slice(-40), ...night].join('\n')}\n`);
    const detected = quiet();
    await detect(
      { events: live, store, contamination: 0.01, strict: false, format: 'jsonl', unknownAgents: 'fail' },
      detected,
    );
    const resultsFile = join(dir, 'results.jsonl');
    writeFileSync(resultsFile, `${detected.lines.join('\n')}\n`);
    const alerts = detected.lines.map((l) => JSON.parse(l)).filter((r) => r.isThreat);
    expect(alerts.length).toBeGreaterThanOrEqual(6);
    const zones = join(dir, 'zones.json');
    writeFileSync(zones, JSON.stringify({ [HOSTILE_AGENT]: 'Asia/Tokyo', 'coder-1': 'America/New_York' }));
    const out = join(dir, 'report.html');
    const io = quiet();
    await report({ results: resultsFile, out, timeZones: zones }, io);
    const results = detected.lines.map((l) => JSON.parse(l));
    const incidentIds = new Set(results.flatMap((r) => [r.incidentId, r.campaignId].filter(Boolean)));
    expect(alerts.every((a) => typeof a.incidentId === 'string')).toBe(true);
    expect(io.lines[0]).toBe(
      `report: ${out} (${detected.lines.length} events of 2 agents, ${alerts.length} alerts in ${incidentIds.size} incidents)`,
    );
    const html = readFileSync(out, 'utf8');
    // Every incident is a row of its table, every alert a row of the alerts table.
    const incidentBody = html.slice(
      html.indexOf('<tbody>', html.indexOf('id="incidents"')),
      html.indexOf('</tbody>', html.indexOf('id="incidents"')),
    );
    expect(incidentBody.match(/<tr /g)).toHaveLength(incidentIds.size);
    expect(html).toContain('<svg id="incident-timeline"');
    const body = html.slice(
      html.indexOf('<tbody>', html.indexOf('id="alerts"')),
      html.indexOf('</tbody>', html.indexOf('id="alerts"')),
    );
    expect(body.match(/<tr>/g)).toHaveLength(alerts.length);
    // Alerts are listed most serious first: by tail probability (the 'line' column says which).
    const listed = body
      .split('<tr>')
      .slice(1)
      .map((row) => Number([...row.matchAll(/<td data-v="([^"]*)"/g)][9]![1]));
    const bySeverity = [...alerts]
      .sort((a, b) => a.tailProbability - b.tailProbability || a.timestamp.localeCompare(b.timestamp))
      .map((a) => a.line);
    expect(listed).toEqual(bySeverity);
    // Nothing of the hostile values survives unescaped, in HTML or in the embedded JSON.
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<e0>');
    expect(body).toContain('&lt;script&gt;alert(&quot;agent&quot;)&lt;/script&gt;&amp;amp;');
    expect(body).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    // Times in each agent's own zone: 03:00 UTC is 12:00 in Tokyo, 22:00 the day before in New York.
    expect(body).toMatch(/2026-03-13 12:0\d:00<\/time>/);
    expect(body).toMatch(/2026-03-12 23:0\d:00<\/time>/);
    const data = JSON.parse(
      html.slice(
        html.indexOf('<script id="results" type="application/json">') + 45,
        html.indexOf('</script>', html.indexOf('id="results"')),
      ),
    );
    expect(data.timelines.map((t: { zone: string }) => t.zone)).toEqual(['Asia/Tokyo', 'America/New_York']);
    expect(data.timelines.map((t: { agentId: string }) => t.agentId)).toEqual(
      ['coder-1', HOSTILE_AGENT].sort(),
    );
    expect(data.gapMs).toBe(3_600_000);
  }, 120_000);

  it('refuses a time zones file with an unknown zone, and a results file that is neither kind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harombe-report-'));
    mkdirSync(dir, { recursive: true });
    const results = join(dir, 'r.jsonl');
    writeFileSync(
      results,
      `${JSON.stringify({ line: 1, agentId: 'a', timestamp: '2026-03-02T10:00:00.000Z', eventType: 'tool_call', threatScore: 0.1, tailProbability: 0.5, isThreat: false, threatLevel: 'none', coldStart: false, eventTime: 'current', explanation: 'typical' })}\n`,
    );
    const zones = join(dir, 'zones.json');
    writeFileSync(zones, JSON.stringify({ a: 'Mars/Olympus' }));
    await expect(report({ results, out: join(dir, 'x.html'), timeZones: zones }, quiet())).rejects.toThrow(
      /time zones .*zones\.json: a: /,
    );
    const other = join(dir, 'other.json');
    writeFileSync(other, '{"hello": 1}\n');
    await expect(report({ results: other, out: join(dir, 'y.html') }, quiet())).rejects.toBeInstanceOf(
      CliError,
    );
  });
});
