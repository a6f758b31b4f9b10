import { generateFleet } from '@harombe/agent-sim';
import { MemoryModelStore, ThreatDetector, type SecurityEventInput } from '@harombe/security-ml';
const fleet = generateFleet({ seed: 21, agents: 12, historyDays: 28, liveDays: 14, scenarios: [], benignChange: false });
const half = fleet.live.length >> 1;
const raw = fleet.live.slice(half).map((e) => ({ agentId: e.agentId, event: JSON.parse(JSON.stringify(e.event)) as SecurityEventInput }));
const trained = () => {
  const d = new ThreatDetector({ store: new MemoryModelStore(), contamination: 0.01, seed: 21 });
  for (const p of fleet.personas) d.train(p.agentId, fleet.history.filter((e) => e.agentId === p.agentId).map((e) => e.event), { timeZone: p.timeZone });
  for (const { agentId, event } of fleet.live.slice(0, half)) d.assess(agentId, event);
  return d;
};
let cpu = 0; let n = 0;
const passes = Number(process.env.PASSES ?? 5);
for (let pass = 0; pass < passes; pass++) {
  const d = trained();
  const c0 = process.cpuUsage();
  for (const { agentId, event } of raw) d.assess(agentId, event);
  const c = process.cpuUsage(c0);
  if (pass > 0) { cpu += c.user + c.system; n += raw.length; }
}
console.log(`${raw.length} events/pass; cpu per event ${(cpu / n).toFixed(2)} us => ${(1e6 / (cpu / n)).toFixed(0)} events/s (cpu)`);
