// A fingerprint of what the detector decides on simulated fleets: every assessment's score (to the
// bit), level, explanation and contributing factors, after analysts' feedback, refits and a
// save/load round trip. A refactor that must not change behaviour leaves these lines identical;
// run `pnpm checksum` before and after and compare.
import { createHash, type Hash } from 'node:crypto';
import { generateFleet } from '@harombe/agent-sim';
import { MemoryModelStore, type ThreatAssessment, ThreatDetector } from '@harombe/security-ml';

const SEEDS = [7, 11];

function scoreBits(hash: Hash, value: number): void {
  const bytes = new Float64Array([value]);
  hash.update(new Uint8Array(bytes.buffer));
}

function add(hashes: Record<'scores' | 'text' | 'factors', Hash>, a: ThreatAssessment): void {
  scoreBits(hashes.scores, a.threatScore);
  scoreBits(hashes.scores, a.tailProbability);
  scoreBits(hashes.scores, a.ml.anomalyScore);
  hashes.scores.update(`${a.threatLevel}|${a.isThreat}|${a.coldStart}|${a.eventTime}\n`);
  hashes.text.update(`${a.explanation}\n`);
  for (const [name, share] of Object.entries(a.ml.contributingFactors)) {
    hashes.factors.update(name);
    scoreBits(hashes.factors, share);
  }
}

const digest = (hash: Hash): string => hash.digest('hex').slice(0, 16);

async function run(seed: number): Promise<string> {
  const fleet = generateFleet({ seed, agents: 12, historyDays: 28, liveDays: 7 });
  const store = new MemoryModelStore();
  const threats = new ThreatDetector({ store, contamination: 0.01, seed });
  for (const persona of fleet.personas) {
    const history = fleet.history.filter((e) => e.agentId === persona.agentId).map((e) => e.event);
    threats.train(persona.agentId, history, { timeZone: persona.timeZone });
  }
  const hashes = { scores: createHash('sha256'), text: createHash('sha256'), factors: createHash('sha256') };
  let current = threats;
  const half = Math.floor(fleet.live.length / 2);
  let feedback = 0;
  for (const [i, { agentId, event, label }] of fleet.live.entries()) {
    if (i === half) {
      // Halfway, every agent is saved and a fresh detector loads them: it must go on exactly.
      const restored = new ThreatDetector({ store, contamination: 0.01, seed });
      for (const persona of fleet.personas) {
        await current.save(persona.agentId);
        await restored.load(persona.agentId);
      }
      current = restored;
    }
    const assessment = current.assess(agentId, event);
    add(hashes, assessment);
    // An analyst confirms the first alerts on benign changes as normal and a few attacks as attacks.
    if (assessment.isThreat && feedback < 20) {
      current.feedback(agentId, event, label !== 'normal' && label !== 'benign-change');
      feedback++;
    }
  }
  return `seed ${seed}: feedback ${feedback} scores ${digest(hashes.scores)} text ${digest(hashes.text)} factors ${digest(hashes.factors)}`;
}

for (const seed of SEEDS) console.log(await run(seed));
