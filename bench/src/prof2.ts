import { generateFleet } from '@harombe/agent-sim';
import { MemoryModelStore, ThreatDetector, parseSecurityEvent } from '@harombe/security-ml';
const fleet = generateFleet({ seed: 21, agents: 12, historyDays: 28, liveDays: 14, scenarios: [], benignChange: false });
const half = fleet.live.length >> 1;
const live = fleet.live.slice(half).map((e) => ({ agentId: e.agentId, raw: JSON.parse(JSON.stringify(e.event)), event: parseSecurityEvent(e.event) }));
const trained = () => {
  const d = new ThreatDetector({ store: new MemoryModelStore(), contamination: 0.01, seed: 21 });
  for (const p of fleet.personas) d.train(p.agentId, fleet.history.filter((e) => e.agentId === p.agentId).map((e) => e.event), { timeZone: p.timeZone });
  for (const { agentId, event } of fleet.live.slice(0, half)) d.assess(agentId, event);
  return d;
};
const t = { parse: 0, tails: 0, score: 0, result: 0, record: 0 };
let n = 0;
for (let pass = 0; pass < 6; pass++) {
  const d = trained();
  for (const { agentId, raw, event } of live) {
    let t0 = performance.now();
    parseSecurityEvent(raw);
    let t1 = performance.now(); const a = t1 - t0; t0 = t1;
    d.learner.tailProbabilities(agentId, event);
    t1 = performance.now(); const b = t1 - t0; t0 = t1;
    const f = d.detector.scoreEvent(agentId, event, { record: true });
    t1 = performance.now(); const c = t1 - t0; t0 = t1;
    d.detector.resultOf(f, { explain: f.tailProbability < 0.02 });
    t1 = performance.now(); const e = t1 - t0; t0 = t1;
    d.learner.recordEvent(agentId, event, { learn: true });
    t1 = performance.now(); const g = t1 - t0;
    if (pass > 0) { t.parse += a; t.tails += b; t.score += c; t.result += e; t.record += g; n++; }
  }
}
console.log(Object.entries(t).map(([k, v]) => `${k} ${((v * 1000) / n).toFixed(2)}`).join('  '));
