// A self-contained HTML report: the results as embedded JSON, uPlot (inlined from the package, so
// the page needs no network) and a little script that draws the charts.
import type { RunResults } from './evaluate.js';
import { asset, escapeHtml, SORT_SCRIPT, scriptJson } from './html.js';
import { incidentTable, incidentTimeline } from './incidents-view.js';

const DRAW = `
const data = JSON.parse(document.getElementById('results').textContent);
const width = Math.min(1100, document.body.clientWidth - 40);
const levelColors = { none: '#9aa5b1', low: '#4c9be8', medium: '#e8b14c', high: '#e8774c', critical: '#c0392b' };
function bars(target, labels, values, color, yLabel) {
  const xs = labels.map((_, i) => i);
  new uPlot({
    width, height: 260,
    scales: { x: { time: false, range: [-0.6, labels.length - 0.4] }, y: { range: [0, Math.max(1, ...values) * 1.1] } },
    axes: [{ values: (u, ticks) => ticks.map((t) => labels[t] ?? ''), splits: () => xs, gap: 4 }, { label: yLabel }],
    series: [{}, { label: yLabel, stroke: color, fill: color, paths: uPlot.paths.bars({ size: [0.6, 80] }), points: { show: false } }],
    legend: { show: false },
  }, [xs, values], target);
}
const levels = Object.keys(data.levels).filter((l) => l !== 'none');
bars(document.getElementById('levels'), levels, levels.map((l) => data.levels[l]), '#e8774c', 'alerts');
bars(document.getElementById('scenarios'), data.scenarios.map((s) => s.label), data.scenarios.map((s) => s.recall), '#2e86de', 'recall');
for (const timeline of data.timelines) {
  const box = document.createElement('div');
  box.className = 'chart';
  const title = document.createElement('h3');
  title.textContent = timeline.agentId;
  box.appendChild(title);
  document.getElementById('timelines').appendChild(box);
  const xs = timeline.points.map((p) => p[0] / 1000);
  const scores = timeline.points.map((p) => p[1]);
  const alerts = timeline.points.map((p) => (p[2] ? p[1] : null));
  new uPlot({
    width, height: 180,
    scales: { y: { range: [0, 1] } },
    series: [
      {},
      { label: 'threat score', stroke: '#2e86de', width: 1, points: { show: false } },
      { label: 'threshold', stroke: '#c0392b', dash: [6, 4], width: 1, points: { show: false } },
      { label: 'alert', stroke: '#c0392b', paths: () => null, points: { show: true, size: 7, fill: '#c0392b' } },
    ],
  }, [xs, scores, xs.map(() => data.threshold), alerts], box);
}
document.body.setAttribute('data-rendered', 'true');
`;

/** The report page for a run. */
export function renderReport(results: RunResults): string {
  const rows = results.scenarios
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.label)}</td><td>${s.events}</td><td>${s.detected}</td><td>${s.recall.toFixed(2)}</td></tr>`,
    )
    .join('');
  const incidents = results.incidents;
  const times = results.timelines.flatMap((t) =>
    t.points.length ? [t.points[0]![0], t.points.at(-1)![0]] : [],
  );
  const incidentSection = incidents
    ? `<h2>Incidents (${incidents.length}: alerts that belong together, most serious first; click a column to sort)</h2>
${incidentTable(incidents, true)}
${incidentTimeline(
  incidents,
  results.timelines.map((t) => t.agentId),
  Math.min(...times),
  Math.max(...times),
)}`
    : '';
  const alerts = results.topAlerts
    .map(
      (a) =>
        `<tr><td class="lvl ${a.level}">${a.level}</td><td>${a.score.toFixed(2)}</td><td>${escapeHtml(a.agentId)}</td><td>${escapeHtml(a.timestamp)}</td><td>${escapeHtml(a.label)}</td><td>${escapeHtml(a.explanation)}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(results.title)}</title>
<style>${asset('uplot/dist/uPlot.min.css')}</style>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 20px; color: #1f2933; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; } h3 { font-size: 13px; margin: 10px 0 0; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border-bottom: 1px solid #d9e2ec; padding: 4px 10px; text-align: left; vertical-align: top; }
table.sortable th { cursor: pointer; user-select: none; white-space: nowrap; }
.lvl.critical { color: #c0392b; font-weight: 600; } .lvl.high { color: #e8774c; font-weight: 600; } .lvl.medium { color: #b7791f; }
.kpi { display: inline-block; margin-right: 28px; } .kpi b { font-size: 20px; display: block; }
</style>
</head>
<body>
<h1>${escapeHtml(results.title)}</h1>
<div class="kpi"><b>${(results.normal.rate * 100).toFixed(2)}%</b>false-positive rate (${results.normal.flagged} of ${results.normal.events} normal events)</div>
<div class="kpi"><b>${Number.isFinite(results.auc) ? results.auc.toFixed(4) : '-'}</b>ROC-AUC</div>
<div class="kpi"><b>${results.latency.p99Us.toFixed(0)} µs</b>assess() p99 (p50 ${results.latency.p50Us.toFixed(0)} µs)</div>
<h2>Detection per scenario</h2>
<table><tr><th>scenario</th><th>events</th><th>detected</th><th>recall</th></tr>${rows}</table>
<div id="scenarios"></div>
<h2>Alerts by threat level</h2>
<div id="levels"></div>
${incidentSection}
<h2>Top alerts</h2>
<table><tr><th>level</th><th>score</th><th>agent</th><th>time</th><th>label</th><th>explanation</th></tr>${alerts}</table>
<h2>Threat score per agent over time (dashed: threshold; dots: alerts)</h2>
<div id="timelines"></div>
<script id="results" type="application/json">${scriptJson(results)}</script>
<script>${asset('uplot/dist/uPlot.iife.min.js')}</script>
<script>${SORT_SCRIPT}</script>
<script>${DRAW}</script>
</body>
</html>
`;
}
