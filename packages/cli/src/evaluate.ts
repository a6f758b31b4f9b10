// Streaming a labelled live period through a ThreatDetector and summarising what it caught.
import type { LabelledEvent } from '@harombe/agent-sim';
import { rocAuc, THREAT_LEVELS, type ThreatDetector, type ThreatLevel } from '@harombe/security-ml';
import { evidenceText, type IncidentRow, incidentRows } from './incidents-view.js';

export interface ScenarioResult {
  readonly label: string;
  readonly events: number;
  readonly detected: number;
  readonly recall: number;
}

export interface Alert {
  readonly agentId: string;
  readonly timestamp: string;
  readonly level: ThreatLevel;
  readonly score: number;
  readonly label: string;
  readonly explanation: string;
}

export interface RunResults {
  readonly title: string;
  readonly threshold: number;
  readonly scenarios: ScenarioResult[];
  readonly normal: { events: number; flagged: number; rate: number };
  readonly benign: { events: number; flagged: number; feedbackGiven: boolean };
  readonly auc: number;
  readonly latency: { p50Us: number; p99Us: number; perSecond: number };
  readonly levels: Record<ThreatLevel, number>;
  readonly topAlerts: Alert[];
  /** Every incident and campaign, most serious first (absent in results written before incidents). */
  readonly incidents?: IncidentRow[];
  /** Per agent: [epoch ms, threat score, 1 if a threat] in time order. */
  readonly timelines: Array<{ agentId: string; points: Array<[number, number, number]> }>;
}

export interface RunOptions {
  readonly title: string;
  readonly threshold: number;
  /** Confirm the first alert on the benign change as normal (the analyst's feedback). */
  readonly analystFeedback: boolean;
  readonly onProgress?: (done: number) => void;
  readonly topAlerts?: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0;
}

/** Assesses every event in order, applying the analyst's feedback on the benign change. */
export function runLive(
  threats: ThreatDetector,
  live: readonly LabelledEvent[],
  options: RunOptions,
): RunResults {
  const counts = new Map<string, { events: number; detected: number }>();
  const levels = Object.fromEntries(THREAT_LEVELS.map((l) => [l, 0])) as Record<ThreatLevel, number>;
  const latencies = new Float64Array(live.length);
  const scores: number[] = [];
  const labels: number[] = [];
  const alerts: Alert[] = [];
  const timelines = new Map<string, Array<[number, number, number]>>();
  const benign = { events: 0, flagged: 0, feedbackGiven: false };
  const labelOf = new Map<string, string>();
  let totalNs = 0n;
  live.forEach(({ agentId, event, label }, i) => {
    const start = process.hrtime.bigint();
    const assessment = threats.assess(agentId, event);
    const elapsed = process.hrtime.bigint() - start;
    totalNs += elapsed;
    latencies[i] = Number(elapsed) / 1000;
    labelOf.set(event.event_id, label);
    if (assessment.isThreat) levels[assessment.threatLevel]++;
    const points = timelines.get(agentId) ?? [];
    points.push([assessment.timestamp.getTime(), assessment.threatScore, assessment.isThreat ? 1 : 0]);
    timelines.set(agentId, points);
    if (assessment.isThreat) {
      alerts.push({
        agentId,
        timestamp: assessment.timestamp.toISOString(),
        level: assessment.threatLevel,
        score: assessment.threatScore,
        label,
        explanation: assessment.explanation,
      });
    }
    if (label === 'benign-change') {
      if (!benign.feedbackGiven && options.analystFeedback && assessment.isThreat) {
        threats.feedback(agentId, event, false);
        benign.feedbackGiven = true;
      } else if (benign.feedbackGiven || !options.analystFeedback) {
        benign.events++;
        if (assessment.isThreat) benign.flagged++;
      }
      options.onProgress?.(i + 1);
      return;
    }
    const c = counts.get(label) ?? { events: 0, detected: 0 };
    c.events++;
    if (assessment.isThreat) c.detected++;
    counts.set(label, c);
    scores.push(-Math.log(Math.max(assessment.tailProbability, 1e-300)));
    labels.push(label === 'normal' ? 0 : 1);
    options.onProgress?.(i + 1);
  });
  latencies.sort();
  const normal = counts.get('normal') ?? { events: 0, detected: 0 };
  const scenarios = [...counts]
    .filter(([label]) => label !== 'normal')
    .map(([label, c]) => ({
      label,
      events: c.events,
      detected: c.detected,
      recall: c.events ? c.detected / c.events : 0,
    }))
    .sort((a, b) => a.label.localeCompare(b.label));
  const top = [...alerts].sort((a, b) => b.score - a.score || a.timestamp.localeCompare(b.timestamp));
  return {
    title: options.title,
    threshold: options.threshold,
    scenarios,
    normal: {
      events: normal.events,
      flagged: normal.detected,
      rate: normal.events ? normal.detected / normal.events : 0,
    },
    benign,
    auc: labels.includes(1) && labels.includes(0) ? rocAuc(scores, labels) : Number.NaN,
    latency: {
      p50Us: percentile(latencies, 0.5),
      p99Us: percentile(latencies, 0.99),
      perSecond: live.length / (Number(totalNs) / 1e9 || 1),
    },
    levels,
    topAlerts: distinctByAgent(top, options.topAlerts ?? 5),
    incidents: incidentRows(threats.incidents(), (id) => labelOf.get(id)),
    timelines: [...timelines]
      .map(([agentId, points]) => ({ agentId, points }))
      .sort((a, b) => a.agentId.localeCompare(b.agentId)),
  };
}

/** The highest alerts, at most one per agent and label, so the list shows different incidents. */
function distinctByAgent(alerts: Alert[], limit: number): Alert[] {
  const seen = new Set<string>();
  const out: Alert[] = [];
  for (const alert of alerts) {
    const key = `${alert.agentId}|${alert.label}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(alert);
    if (out.length === limit) break;
  }
  return out;
}

const pad = (text: string | number, width: number) => String(text).padStart(width);

/** The summary as printed by `harombe-ml demo`. */
export function formatSummary(results: RunResults): string[] {
  const lines = ['', 'scenario                    events  detected  recall'];
  for (const s of results.scenarios) {
    lines.push(
      `${s.label.padEnd(26)}${pad(s.events, 8)}${pad(s.detected, 10)}${pad(s.recall.toFixed(2), 8)}`,
    );
  }
  const { normal, benign } = results;
  lines.push(
    '',
    `normal events: ${normal.events}, flagged ${normal.flagged} (false-positive rate ${(normal.rate * 100).toFixed(2)}%)`,
  );
  if (benign.feedbackGiven || benign.events > 0) {
    const share = benign.events ? ((benign.flagged / benign.events) * 100).toFixed(1) : '0.0';
    lines.push(
      `benign change${benign.feedbackGiven ? ' after analyst feedback' : ''}: ${benign.events} events, flagged ${benign.flagged} (${share}%)`,
    );
  }
  if (Number.isFinite(results.auc))
    lines.push(`ROC-AUC, attacks against normal events: ${results.auc.toFixed(4)}`);
  lines.push(
    `assess() latency: p50 ${results.latency.p50Us.toFixed(1)} us, p99 ${results.latency.p99Us.toFixed(1)} us (${Math.round(results.latency.perSecond)} events/s)`,
  );
  const incidents = results.incidents ?? [];
  if (incidents.length) {
    const byNormal = incidents.filter((i) => i.labels.every((l) => l === 'normal')).length;
    const campaigns = incidents.filter((i) => i.campaign).length;
    lines.push(
      '',
      `incidents: ${incidents.length} (${campaigns} campaign${campaigns === 1 ? '' : 's'}; ${byNormal} opened by normal work only), most serious first:`,
    );
    for (const i of incidents.slice(0, 5)) {
      const first = new Date(i.firstSeen).toISOString();
      const last = new Date(i.lastSeen).toISOString();
      const span = `${first.slice(0, 16)}..${last.slice(0, 10) === first.slice(0, 10) ? last.slice(11, 16) : last.slice(5, 16)}`;
      lines.push(
        `  ${i.peakLevel.toUpperCase().padEnd(8)} ${i.agentIds.join(',')}  ${span}  ${i.alerts} alert${i.alerts === 1 ? '' : 's'}  evidence ${evidenceText(i.tail)}  [${i.labels.join(',')}]`,
      );
      lines.push(`           ${i.reasons.join('; ')}`);
    }
  }
  return lines;
}
