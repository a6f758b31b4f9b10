// What the behaviour bench measures: recall per attack class, the share of normal events flagged,
// and ROC-AUC of the threat score, with ties counted half (the usual) and against the detector.

/** One assessed live event. */
export interface Scored {
  readonly label: string;
  readonly score: number;
  readonly flagged: boolean;
  /** Counted as an attack event (daytime bursts: only after their first five minutes). */
  readonly judged: boolean;
}

export interface ClassFigures {
  readonly events: number;
  readonly flagged: number;
  readonly recall: number;
  /** This class against normal events. */
  readonly auc: number;
  readonly aucTiesAgainst: number;
}

export interface RunFigures {
  readonly classes: Record<string, ClassFigures>;
  readonly normal: { readonly events: number; readonly flagged: number; readonly rate: number };
  /** Events neither attack nor normal (classic `benign-change`), flagged share. */
  readonly other: Record<string, { readonly events: number; readonly flagged: number }>;
  readonly bursts: { readonly total: number; readonly detectedWithin5Min: number };
  readonly auc: number;
  readonly aucTiesAgainst: number;
}

/**
 * ROC-AUC of positives over negatives: the share of (positive, negative) pairs the score orders
 * right. `ties`: a tied pair counts `half` (the usual AUC) or nothing (`against` the detector).
 */
export function auc(
  positives: readonly number[],
  negatives: readonly number[],
  ties: 'half' | 'against',
): number {
  if (!positives.length || !negatives.length) return Number.NaN;
  const sorted = Float64Array.from(negatives).sort();
  const bound = (value: number, strict: boolean): number => {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (strict ? sorted[mid]! < value : sorted[mid]! <= value) low = mid + 1;
      else high = mid;
    }
    return low;
  };
  let sum = 0;
  for (const score of positives) {
    const below = bound(score, true);
    const tied = bound(score, false) - below;
    sum += below + (ties === 'half' ? tied / 2 : 0);
  }
  return sum / (positives.length * sorted.length);
}

/** Figures of one run, or of several pooled (pass their events together). */
export function figures(
  events: readonly Scored[],
  attackClasses: readonly string[],
  bursts: { total: number; detectedWithin5Min: number },
): RunFigures {
  const normalScores: number[] = [];
  let normalFlagged = 0;
  const byClass = new Map<string, Scored[]>();
  const other: Record<string, { events: number; flagged: number }> = {};
  for (const event of events) {
    if (event.label === 'normal') {
      normalScores.push(event.score);
      if (event.flagged) normalFlagged++;
    } else if (attackClasses.includes(event.label)) {
      if (!event.judged) continue;
      const list = byClass.get(event.label) ?? [];
      list.push(event);
      byClass.set(event.label, list);
    } else {
      const entry = other[event.label] ?? { events: 0, flagged: 0 };
      other[event.label] = entry;
      entry.events++;
      if (event.flagged) entry.flagged++;
    }
  }
  const classes: Record<string, ClassFigures> = {};
  const attackScores: number[] = [];
  for (const label of attackClasses) {
    const list = byClass.get(label) ?? [];
    const scores = list.map((e) => e.score);
    attackScores.push(...scores);
    const flagged = list.filter((e) => e.flagged).length;
    classes[label] = {
      events: list.length,
      flagged,
      recall: list.length ? flagged / list.length : Number.NaN,
      auc: auc(scores, normalScores, 'half'),
      aucTiesAgainst: auc(scores, normalScores, 'against'),
    };
  }
  return {
    classes,
    normal: {
      events: normalScores.length,
      flagged: normalFlagged,
      rate: normalScores.length ? normalFlagged / normalScores.length : Number.NaN,
    },
    other,
    bursts,
    auc: auc(attackScores, normalScores, 'half'),
    aucTiesAgainst: auc(attackScores, normalScores, 'against'),
  };
}

/** The targets. */
export const TARGETS = { recall: 0.9, burstsWithin5Min: 0.9, normal: 0.02, auc: 0.98, aucTiesAgainst: 0.97 };

/** Which targets a run misses, in words (empty when it meets them all). */
export function misses(f: RunFigures): string[] {
  const out: string[] = [];
  for (const [label, c] of Object.entries(f.classes)) {
    if (!(c.recall >= TARGETS.recall)) out.push(`${label} recall ${pct(c.recall)} < 90%`);
  }
  if (f.bursts.total) {
    const share = f.bursts.detectedWithin5Min / f.bursts.total;
    if (!(share >= TARGETS.burstsWithin5Min)) out.push(`bursts within 5 min ${pct(share)} < 90%`);
  }
  if (!(f.normal.rate <= TARGETS.normal)) out.push(`normal flagged ${pct(f.normal.rate)} > 2%`);
  if (!(f.auc >= TARGETS.auc)) out.push(`AUC ${f.auc.toFixed(3)} < 0.98`);
  if (!(f.aucTiesAgainst >= TARGETS.aucTiesAgainst))
    out.push(`ties-against ${f.aucTiesAgainst.toFixed(3)} < 0.97`);
  return out;
}

export function pct(x: number): string {
  return Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)}%`;
}
