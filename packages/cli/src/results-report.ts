// The HTML report of `detect --format jsonl` output (the user's own data): every alert in a sortable
// table, and each agent's threat score over time on one shared time axis, in the agent's own time
// zone, with idle periods drawn as gaps. Self-contained (uPlot inlined, no network); every value
// placed in the page is escaped (text in HTML, data as JSON that cannot close its script element).
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { EventLogError, readJsonl } from '@harombe/event-log';
import { THREAT_LEVELS, type ThreatLevel } from '@harombe/security-ml';
import { asset, escapeHtml, SORT_SCRIPT, scriptJson } from './html.js';
import {
  type IncidentRow,
  incidentRowsFromResults,
  incidentTable,
  incidentTimeline,
} from './incidents-view.js';
import { CliError } from './io.js';
import { type DetectResult, DetectResultSchema } from './results.js';

/** Consecutive events of an agent further apart than this are drawn with a gap between them. */
export const GAP_MS = 3_600_000;
/** Points per agent timeline at most: busier agents are drawn by the highest score per time bucket. */
const MAX_POINTS = 2_000;

export interface ResultsReportOptions {
  /** Agents' IANA time zones (default UTC). */
  readonly zones: ReadonlyMap<string, string>;
  readonly title: string;
}

/** Whether the file's first non-empty line is a `detect --format jsonl` result. */
export async function isDetectOutput(path: string): Promise<boolean> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      if (text.trim() === '') continue;
      try {
        const value = JSON.parse(text) as Record<string, unknown> | null;
        return typeof value === 'object' && value !== null && 'threatScore' in value && 'agentId' in value;
      } catch {
        return false;
      }
    }
    return false;
  } finally {
    lines.close();
  }
}

interface Timeline {
  readonly agentId: string;
  readonly zone: string;
  /** [epoch ms, threat score, 1 if an alert] in time order. */
  readonly points: Array<[number, number, number]>;
}

/**
 * Reads detect results from `path` and writes the report to `out`.
 * @throws {CliError} the file cannot be read, or a line is not a detect result (naming the line).
 */
export async function writeResultsReport(
  path: string,
  out: string,
  options: ResultsReportOptions,
): Promise<{ events: number; agents: number; alerts: number; incidents: number }> {
  const timelines = new Map<string, Array<[number, number, number]>>();
  const alerts: DetectResult[] = [];
  /** Results that belong to an incident or a campaign (alerts, and campaigns' milder signals). */
  const filed: DetectResult[] = [];
  const levels = Object.fromEntries(THREAT_LEVELS.map((l) => [l, 0])) as Record<ThreatLevel, number>;
  let events = 0;
  try {
    for await (const { line, value } of readJsonl(path, { strict: true })) {
      const parsed = DetectResultSchema.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new CliError(
          `${path}:${line}: not a detect result (${issue.path.join('.') || 'line'}: ${issue.message}); write it with harombe-ml detect --format jsonl`,
        );
      }
      const result = parsed.data;
      events++;
      levels[result.threatLevel]++;
      if (result.isThreat) alerts.push(result);
      if (result.incidentId !== undefined || result.campaignId !== undefined) filed.push(result);
      const points = timelines.get(result.agentId) ?? [];
      points.push([Date.parse(result.timestamp), result.threatScore, result.isThreat ? 1 : 0]);
      timelines.set(result.agentId, points);
    }
  } catch (error) {
    if (error instanceof EventLogError) throw new CliError(error.message);
    throw error;
  }
  if (events === 0) throw new CliError(`no results in ${path}`);
  const zoneOf = (agentId: string) => options.zones.get(agentId) ?? 'UTC';
  const drawn: Timeline[] = [...timelines]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([agentId, points]) => ({
      agentId,
      zone: zoneOf(agentId),
      points: thinned(points.sort((a, b) => a[0] - b[0])),
    }));
  // Most serious first: by tail probability (scores near 1 differ only in their tails).
  alerts.sort((a, b) => a.tailProbability - b.tailProbability || a.timestamp.localeCompare(b.timestamp));
  const incidents = incidentRowsFromResults(filed);
  mkdirSync(dirname(resolve(out)), { recursive: true });
  writeFileSync(
    out,
    renderResultsReport({
      title: options.title,
      events,
      levels,
      alerts,
      incidents,
      timelines: drawn,
      zoneOf,
    }),
  );
  return { events, agents: timelines.size, alerts: alerts.length, incidents: incidents.length };
}

/**
 * At most MAX_POINTS points: the highest score of each time bucket (an alert in the bucket keeps
 * its dot). Empty buckets stay empty, so idle periods remain gaps.
 */
function thinned(points: Array<[number, number, number]>): Array<[number, number, number]> {
  if (points.length <= MAX_POINTS) return points;
  const start = points[0]![0];
  const width = (points.at(-1)![0] - start) / MAX_POINTS || 1;
  const out: Array<[number, number, number]> = [];
  let bucket = -1;
  for (const point of points) {
    const b = Math.min(MAX_POINTS - 1, Math.floor((point[0] - start) / width));
    const last = out.at(-1);
    if (b !== bucket || last === undefined) {
      out.push([point[0], point[1], point[2]]);
      bucket = b;
    } else {
      last[1] = Math.max(last[1], point[1]);
      last[2] = Math.max(last[2], point[2]);
    }
  }
  return out;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** `2026-03-04 10:30:00` in the zone. */
function localTime(ms: number, zone: string): string {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('sv-SE', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(zone, format);
  }
  return format.format(ms);
}

const COLUMNS = [
  'time',
  'zone',
  'agent',
  'level',
  'score',
  'tool',
  'destination or path',
  'session',
  'event',
  'line',
  'explanation',
];

function alertRow(a: DetectResult, zone: string): string {
  const ms = Date.parse(a.timestamp);
  const where = a.destination ?? a.filePath ?? '';
  const tool = a.toolName ? `${a.toolName}${a.action ? ` ${a.action}` : ''}` : a.eventType;
  // data-v: the value to sort by (numbers for time, level, score and line).
  const cells: Array<[string | number, string]> = [
    [ms, `<time datetime="${escapeHtml(a.timestamp)}">${escapeHtml(localTime(ms, zone))}</time>`],
    [zone, escapeHtml(zone)],
    [a.agentId, escapeHtml(a.agentId)],
    [THREAT_LEVELS.indexOf(a.threatLevel), `<span class="lvl ${a.threatLevel}">${a.threatLevel}</span>`],
    [a.threatScore, a.threatScore.toFixed(2)],
    [tool, escapeHtml(tool)],
    [where, escapeHtml(where)],
    [a.sessionId ?? '', escapeHtml(a.sessionId ?? '')],
    [a.eventId ?? '', escapeHtml(a.eventId ?? '')],
    [a.line, String(a.line)],
    [a.explanation, escapeHtml(a.explanation)],
  ];
  return `<tr>${cells.map(([v, html]) => `<td data-v="${escapeHtml(String(v))}">${html}</td>`).join('')}</tr>`;
}

const DRAW = `
const data = JSON.parse(document.getElementById('results').textContent);
const width = Math.min(1100, document.body.clientWidth - 40);
// One time axis for every agent: the whole period, in seconds.
const range = [data.start / 1000, data.end / 1000];
for (const timeline of data.timelines) {
  const box = document.createElement('div');
  box.className = 'chart';
  const title = document.createElement('h3');
  title.textContent = timeline.agentId + ' (' + timeline.zone + ')';
  box.appendChild(title);
  document.getElementById('timelines').appendChild(box);
  // A gap (null) between events further apart than the gap: no line across idle periods.
  const xs = [], scores = [], alerts = [];
  let previous;
  for (const [ms, score, alert] of timeline.points) {
    if (previous !== undefined && ms - previous > data.gapMs) { xs.push((previous + 1) / 1000); scores.push(null); alerts.push(null); }
    xs.push(ms / 1000); scores.push(score); alerts.push(alert ? score : null);
    previous = ms;
  }
  new uPlot({
    width, height: 170,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeline.zone),
    scales: { x: { time: true, range: () => range }, y: { range: [0, 1] } },
    series: [
      {},
      { label: 'threat score', stroke: '#2e86de', width: 1, points: { show: false }, spanGaps: false },
      { label: 'threshold', stroke: '#c0392b', dash: [6, 4], width: 1, points: { show: false } },
      { label: 'alert', stroke: '#c0392b', paths: () => null, points: { show: true, size: 7, fill: '#c0392b' } },
    ],
  }, [xs, scores, xs.map(() => data.threshold), alerts], box);
}
document.body.setAttribute('data-rendered', 'true');
`;

/** The page. */
function renderResultsReport(report: {
  title: string;
  events: number;
  levels: Record<ThreatLevel, number>;
  alerts: readonly DetectResult[];
  incidents: readonly IncidentRow[];
  timelines: readonly Timeline[];
  zoneOf: (agentId: string) => string;
}): string {
  const { title, events, levels, alerts, incidents, timelines, zoneOf } = report;
  const times = timelines.flatMap((t) => [t.points[0]![0], t.points.at(-1)![0]]);
  const data = {
    start: Math.min(...times),
    end: Math.max(...times),
    gapMs: GAP_MS,
    threshold: 0.7,
    timelines,
  };
  const levelText = THREAT_LEVELS.filter((l) => l !== 'none')
    .map((l) => `${levels[l]} ${l}`)
    .join(', ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${asset('uplot/dist/uPlot.min.css')}</style>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 20px; color: #1f2933; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; } h3 { font-size: 13px; margin: 10px 0 0; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border-bottom: 1px solid #d9e2ec; padding: 4px 8px; text-align: left; vertical-align: top; }
th { cursor: pointer; user-select: none; white-space: nowrap; } th[aria-sort=ascending]::after { content: ' ▲'; } th[aria-sort=descending]::after { content: ' ▼'; }
.lvl.critical { color: #c0392b; font-weight: 600; } .lvl.high { color: #e8774c; font-weight: 600; } .lvl.medium { color: #b7791f; }
.kpi { display: inline-block; margin-right: 28px; } .kpi b { font-size: 20px; display: block; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<div class="kpi"><b>${events}</b>events of ${timelines.length} agents</div>
<div class="kpi"><b id="alert-count">${alerts.length}</b>alerts (${escapeHtml(levelText)})</div>
<div class="kpi"><b id="incident-count">${incidents.length}</b>incidents (${incidents.filter((i) => i.campaign).length} campaigns)</div>
<h2>Incidents (alerts that belong together; most serious first; click a column to sort)</h2>
${incidentTable(
  incidents,
  incidents.some((i) => i.labels.length > 0),
)}
${incidentTimeline(
  incidents,
  timelines.map((t) => t.agentId),
  data.start,
  data.end,
)}
<h2>Alerts (every one; click a column to sort; times in each agent's own zone)</h2>
<table class="sortable" id="alerts"><thead><tr>${COLUMNS.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead>
<tbody>${alerts.map((a) => alertRow(a, zoneOf(a.agentId))).join('\n')}</tbody></table>
<h2>Threat score per agent over time (one time axis; each in its own zone; gaps: no events for over an hour; dashed: threshold; dots: alerts)</h2>
<div id="timelines"></div>
<script id="results" type="application/json">${scriptJson(data)}</script>
<script>${asset('uplot/dist/uPlot.iife.min.js')}</script>
<script>${SORT_SCRIPT}</script>
<script>${DRAW}</script>
</body>
</html>
`;
}
