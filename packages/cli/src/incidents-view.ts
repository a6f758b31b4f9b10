// Incidents in the reports and summaries: rows from the detector's incidents (the demo) or rebuilt
// from `detect --format jsonl` results (the user's own data), a sortable table and a timeline (one
// lane per agent on one time axis, a bar per incident). Every value placed in the page is escaped.
import { type Incident, THREAT_LEVELS, type ThreatLevel } from '@harombe/security-ml';
import { escapeHtml } from './html.js';
import type { DetectResult } from './results.js';

/** One incident as the reports show it. */
export interface IncidentRow {
  readonly id: string;
  readonly agentIds: readonly string[];
  /** Event time of its first and last alert, epoch ms. */
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly alerts: number;
  readonly peakLevel: ThreatLevel;
  /** The smallest tail probability among its alerts: what incidents are sorted by. */
  readonly tail: number;
  readonly reasons: readonly string[];
  readonly campaign: boolean;
  /** Labels of its events, when the input had them (simulated or labelled data). */
  readonly labels: readonly string[];
}

/** Rows from the detector's incidents; `labelOf` gives an event id's label, if known. */
export function incidentRows(
  incidents: readonly Incident[],
  labelOf: (eventId: string) => string | undefined = () => undefined,
): IncidentRow[] {
  return incidents.map((i) => ({
    id: i.id,
    agentIds: i.agentIds,
    firstSeen: i.firstSeen.getTime(),
    lastSeen: i.lastSeen.getTime(),
    alerts: i.alerts,
    peakLevel: i.peakLevel,
    tail: i.tailProbability,
    reasons: i.reasons,
    campaign: i.campaign,
    labels: distinct(i.eventIds.map(labelOf)),
  }));
}

/**
 * Rows rebuilt from detect results: alerts grouped by their incident, and events grouped by their
 * campaign (the reasons are the explanations' first clauses, most serious alert first).
 */
export function incidentRowsFromResults(results: readonly DetectResult[]): IncidentRow[] {
  const groups = new Map<string, { campaign: boolean; members: DetectResult[] }>();
  const add = (id: string, campaign: boolean, result: DetectResult) => {
    const group = groups.get(id) ?? { campaign, members: [] };
    group.members.push(result);
    groups.set(id, group);
  };
  for (const r of results) {
    if (r.incidentId !== undefined) add(r.incidentId, false, r);
    if (r.campaignId !== undefined) add(r.campaignId, true, r);
  }
  const rows: IncidentRow[] = [];
  for (const [id, { campaign, members }] of groups) {
    const bySeverity = [...members].sort((a, b) => a.tailProbability - b.tailProbability);
    const times = members.map((m) => Date.parse(m.timestamp));
    let peak: ThreatLevel = 'none';
    for (const m of members)
      if (THREAT_LEVELS.indexOf(m.threatLevel) > THREAT_LEVELS.indexOf(peak)) peak = m.threatLevel;
    rows.push({
      id,
      agentIds: distinct(members.map((m) => m.agentId)),
      firstSeen: Math.min(...times),
      lastSeen: Math.max(...times),
      alerts: campaign ? members.length : members.filter((m) => m.isThreat).length,
      peakLevel: peak,
      tail: bySeverity[0]!.tailProbability,
      reasons: distinct(bySeverity.map((m) => m.explanation.split('; ')[0]!)).slice(0, 3),
      campaign,
      labels: distinct(members.map((m) => m.label)),
    });
  }
  return sortIncidents(rows);
}

/** Most serious first: smallest tail, then the latest. */
export function sortIncidents(rows: IncidentRow[]): IncidentRow[] {
  return rows.sort((a, b) => a.tail - b.tail || b.lastSeen - a.lastSeen);
}

function distinct(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== undefined))];
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** A sortable table of incidents (`data-v` holds each cell's sort value). */
export function incidentTable(rows: readonly IncidentRow[], withLabels: boolean): string {
  const head = [
    'first seen (UTC)',
    'last seen (UTC)',
    'agents',
    'kind',
    'level',
    'alerts',
    'evidence',
    'reasons',
  ];
  if (withLabels) head.push('labels');
  const body = rows.map((r) => {
    const cells: Array<[string | number, string]> = [
      [r.firstSeen, escapeHtml(iso(r.firstSeen))],
      [r.lastSeen, escapeHtml(iso(r.lastSeen))],
      [r.agentIds.join(', '), escapeHtml(r.agentIds.join(', '))],
      [r.campaign ? 'campaign' : 'agent', r.campaign ? 'campaign' : 'agent'],
      [THREAT_LEVELS.indexOf(r.peakLevel), `<span class="lvl ${r.peakLevel}">${r.peakLevel}</span>`],
      [r.alerts, String(r.alerts)],
      // -log10 of the tail: how many decades into the agents' own tails (larger is more serious).
      [evidence(r.tail), evidenceText(r.tail)],
      [r.reasons.join('; '), escapeHtml(r.reasons.join('; '))],
    ];
    if (withLabels) cells.push([r.labels.join(', '), escapeHtml(r.labels.join(', '))]);
    return `<tr title="${escapeHtml(r.id)}">${cells.map(([v, html]) => `<td data-v="${escapeHtml(String(v))}">${html}</td>`).join('')}</tr>`;
  });
  return `<table class="sortable" id="incidents"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>${body.join('\n')}</tbody></table>`;
}

/** Decades into the tail: -log10 of the tail probability. */
export function evidence(tail: number): number {
  return -Math.log10(Math.max(tail, 1e-300));
}

/** {@link evidence} as text; the detector keeps tails at 1e-300 at least, so that is shown as `>= 300`. */
export function evidenceText(tail: number): string {
  const decades = evidence(tail);
  return decades >= 299.9 ? '>= 300' : decades.toFixed(1);
}

const LEVEL_COLOUR: Record<ThreatLevel, string> = {
  none: '#9aa5b1',
  low: '#9aa5b1',
  medium: '#b7791f',
  high: '#e8774c',
  critical: '#c0392b',
};

/**
 * The incidents on one time axis (UTC), one lane per agent: a bar from first to last alert (at
 * least 3 px wide), coloured by peak level; a campaign's bar in every lane of its agents, outlined.
 */
export function incidentTimeline(
  rows: readonly IncidentRow[],
  agents: readonly string[],
  start: number,
  end: number,
): string {
  const lane = 22;
  const left = 150;
  const width = 1100;
  const span = Math.max(1, end - start);
  const x = (ms: number) => left + ((ms - start) / span) * (width - left - 10);
  const laneOf = new Map(agents.map((a, i) => [a, i]));
  const parts: string[] = [];
  agents.forEach((agent, i) => {
    const y = 20 + i * lane;
    parts.push(
      `<text x="${left - 8}" y="${y + 14}" text-anchor="end" font-size="12">${escapeHtml(agent)}</text>`,
      `<line x1="${left}" x2="${width - 10}" y1="${y + 10}" y2="${y + 10}" stroke="#d9e2ec"/>`,
    );
  });
  for (const r of rows) {
    for (const agent of r.agentIds) {
      const i = laneOf.get(agent);
      if (i === undefined) continue;
      const x0 = x(r.firstSeen);
      const w = Math.max(3, x(r.lastSeen) - x0);
      const title = `${r.peakLevel}, ${r.alerts} alert${r.alerts === 1 ? '' : 's'}: ${r.reasons.join('; ')}`;
      parts.push(
        `<rect x="${x0.toFixed(1)}" y="${20 + i * lane + 3}" width="${w.toFixed(1)}" height="14" fill="${LEVEL_COLOUR[r.peakLevel]}"${r.campaign ? ' stroke="#1f2933" stroke-width="2" fill-opacity="0.5"' : ''}><title>${escapeHtml(title)}</title></rect>`,
      );
    }
  }
  const height = 30 + agents.length * lane;
  parts.push(
    `<text x="${left}" y="${height - 2}" font-size="11">${escapeHtml(iso(start))}</text>`,
    `<text x="${width - 10}" y="${height - 2}" font-size="11" text-anchor="end">${escapeHtml(iso(end))}</text>`,
  );
  return `<svg id="incident-timeline" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 4}" font-family="system-ui, sans-serif">${parts.join('')}</svg>`;
}
