import { describe, expect, it } from 'vitest';
import {
  AnomalyDetector,
  type AnomalyResult,
  MemoryModelStore,
  ModelArtifactError,
  NotFoundError,
  type SecurityEventInput,
  THREAT_MODEL_KIND,
  ThreatDetector,
  ValidationError,
} from '../src/index.js';
import { CountingStore, HOUR, now, specHistory } from './helpers.js';

const suspicious = {
  timestamp: new Date(now + 13 * HOUR), // 03:00 UTC the next day
  event_type: 'file_operation',
  resource_count: 50,
  duration_ms: 5000,
  success: false,
};
const typical = (hours: number) => ({
  timestamp: new Date(now + hours * HOUR),
  event_type: 'tool_call',
  resource_count: 3,
  duration_ms: 200,
  success: true,
});
/** Lets pending store calls (and the loads they start) finish. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe("the facade's AnomalyDetector: the detector with a store", () => {
  it('a saved and loaded model gives bit-identical results', async () => {
    const store = new MemoryModelStore();
    const detector = new AnomalyDetector({ store, contamination: 0.05 });
    detector.train('agent-123', specHistory);
    const location = await detector.saveModel('agent-123');
    expect(location).toContain('detector');
    const reloaded = new AnomalyDetector({ store, contamination: 0.05 });
    await reloaded.loadModel('agent-123');
    for (const probe of [suspicious, typical(1), { ...typical(5), duration_ms: 900 }]) {
      const a: AnomalyResult = detector.detect('agent-123', probe);
      const b: AnomalyResult = reloaded.detect('agent-123', probe);
      expect(b).toEqual(a);
    }
  });

  it('loading an agent without a model fails with NotFoundError', async () => {
    await expect(
      new AnomalyDetector({ store: new MemoryModelStore() }).loadModel('ghost'),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('keeps at most maxModels in memory and reloads evicted ones from the store', async () => {
    const store = new MemoryModelStore();
    const detector = new AnomalyDetector({ store, maxModels: 2 });
    for (const id of ['a', 'b', 'c']) {
      detector.train(id, specHistory);
      await detector.saveModel(id);
    }
    expect(detector.cacheStats().models).toBe(2);
    expect(detector.hasModel('a')).toBe(false);
    expect(await detector.ensureLoaded('a')).toBe(true);
    expect(detector.detect('a', suspicious).source).toBe('agent');
  });

  it('scoring an agent without a model in memory loads its stored model in the background', async () => {
    const store = new CountingStore();
    const trained = new AnomalyDetector({ store });
    trained.train('agent-123', specHistory);
    await trained.saveModel('agent-123');
    const detector = new AnomalyDetector({ store });
    detector.train('other', specHistory); // a fleet model scores agents meanwhile
    expect(detector.detect('agent-123', suspicious).source).toBe('fleet');
    await settle();
    expect(detector.detect('agent-123', suspicious)).toEqual(trained.detect('agent-123', suspicious));
    // An agent the store has no model for is asked about once, not on every event.
    for (let i = 0; i < 5; i++) detector.detect('newcomer', suspicious);
    await settle();
    detector.detect('newcomer', suspicious);
    expect(store.lookups.filter((agentId) => agentId === 'newcomer')).toHaveLength(1);
    // Off: the store is never asked.
    const quiet = new AnomalyDetector({ store, reloadFromStore: false });
    quiet.detect('agent-123', suspicious);
    await settle();
    expect(quiet.hasModel('agent-123')).toBe(false);
  });

  it('a stored model that cannot be used leaves the scored agent on the fleet model', async () => {
    const store = new MemoryModelStore();
    await store.save('agent-123', 'detector', { format: 'not a model' });
    const detector = new AnomalyDetector({ store });
    detector.train('other', specHistory);
    expect(detector.detect('agent-123', suspicious).source).toBe('fleet');
    await settle();
    expect(detector.detect('agent-123', suspicious).source).toBe('fleet');
    await expect(detector.loadModel('agent-123')).rejects.toBeInstanceOf(ModelArtifactError);
  });

  it('rejects a bad store option, naming it', () => {
    expect(() => new AnomalyDetector({ modelDir: '' })).toThrow(/AnomalyDetector options\.modelDir/);
  });
});

describe('ThreatDetector.ensureLoaded', () => {
  async function storedAgent() {
    const store = new CountingStore();
    const trained = new ThreatDetector({ store, seed: 7 });
    trained.train('agent-123', specHistory);
    await trained.save('agent-123');
    return store;
  }

  it('shares one load between concurrent callers', async () => {
    const store = await storedAgent();
    const threats = new ThreatDetector({ store, seed: 7 });
    const results = await Promise.all([1, 2, 3].map(() => threats.ensureLoaded('agent-123')));
    expect(results).toEqual([true, true, true]);
    expect(store.loads).toEqual(['agent-123']);
    expect(threats.hasModel('agent-123')).toBe(true);
    expect(threats.agentsWithModel()).toEqual(['agent-123']);
  });

  it('remembers an agent the store has no model for until it is trained or saved, or forgetMissing', async () => {
    const store = new CountingStore();
    const threats = new ThreatDetector({ store, seed: 7 });
    expect(await threats.ensureLoaded('nobody')).toBe(false);
    expect(await threats.ensureLoaded('nobody')).toBe(false);
    expect(store.lookups).toEqual(['nobody']);
    threats.forgetMissing();
    expect(await threats.ensureLoaded('nobody')).toBe(false);
    expect(store.lookups).toEqual(['nobody', 'nobody']);
    // Trained, saved and dropped: it comes back from the store.
    threats.train('nobody', specHistory);
    await threats.save('nobody');
    expect(await threats.evictIdle({ keep: 0 })).toEqual(['nobody']);
    expect(await threats.ensureLoaded('nobody')).toBe(true);
  });

  it('a stored model that cannot be used: rejects and tries again, or with cold-start stays on the fleet model', async () => {
    const store = new CountingStore();
    await store.save('agent-123', THREAT_MODEL_KIND, { format: 'not a threat model' });
    const threats = new ThreatDetector({ store, seed: 7 });
    await expect(threats.ensureLoaded('agent-123')).rejects.toBeInstanceOf(ModelArtifactError);
    await expect(threats.ensureLoaded('agent-123')).rejects.toBeInstanceOf(ModelArtifactError);
    expect(store.loads).toHaveLength(2);
    expect(await threats.ensureLoaded('agent-123', { onFailure: 'cold-start' })).toBe(false);
    expect(store.loads).toHaveLength(2);
    await expect(threats.ensureLoaded('agent-123', { onFailure: 'later' as never })).rejects.toThrow(
      ValidationError,
    );
  });
});

describe('ThreatDetector.prepare', () => {
  it('trains from history, a stored model wins, newly trained models are saved, the rest start cold', async () => {
    const store = new MemoryModelStore();
    const earlier = new ThreatDetector({ store, seed: 7 });
    earlier.train('served', specHistory);
    await earlier.save('served');
    const stored = earlier.assess('served', suspicious, { record: false });

    const threats = new ThreatDetector({ store, seed: 7 });
    const histories = new Map<string, readonly SecurityEventInput[]>([
      ['served', specHistory.slice(0, 40)],
      ['fresh', specHistory],
      ['unlisted', specHistory],
      ['thin', specHistory.slice(0, 3)],
    ]);
    const result = await threats.prepare(histories, {
      agents: ['newcomer', 'thin', 'fresh', 'served'],
      timeZones: new Map([['fresh', 'Europe/Berlin']]),
    });
    expect(result).toEqual({
      trained: ['served', 'fresh', 'unlisted'],
      notTrained: [{ agentId: 'thin', reason: expect.stringContaining('at least 10 events') }],
      loaded: ['served'],
      saved: ['fresh'],
      coldStart: ['newcomer', 'thin'],
    });
    expect(threats.assess('served', suspicious, { record: false })).toEqual(stored);
    expect(await store.has('fresh', THREAT_MODEL_KIND)).toBe(true);
    expect(await store.has('unlisted', THREAT_MODEL_KIND)).toBe(false);
    expect(threats.hasModel('unlisted')).toBe(true);
    // Without `agents`, every agent of the history is served; a generator is read lazily.
    const again = new ThreatDetector({ store, seed: 7 });
    const lazy = function* (): Generator<[string, readonly SecurityEventInput[]]> {
      yield ['fresh', specHistory.slice(0, 20)];
      yield ['solo', specHistory];
    };
    expect(await again.prepare(lazy())).toMatchObject({ loaded: ['fresh'], saved: ['solo'], coldStart: [] });
  });

  it('rejects histories that are not [agentId, events] pairs, naming them', async () => {
    const threats = new ThreatDetector({ store: new MemoryModelStore(), seed: 7 });
    await expect(threats.prepare(42 as never)).rejects.toThrow(
      /histories: expected \[agentId, events\] pairs/,
    );
    await expect(threats.prepare([['a', 'events']] as never)).rejects.toThrow(/histories\[0\]/);
    await expect(threats.prepare([], { agents: 'a' } as never)).rejects.toThrow(ValidationError);
  });
});

describe('ThreatDetector: the threat model exported, imported and dropped without a store', () => {
  it('a model that re-imports its own export continues exactly like one imported elsewhere', () => {
    const trained = new ThreatDetector({ store: new MemoryModelStore(), contamination: 0.05 });
    trained.train('agent-1', specHistory);
    const exported = (from: ThreatDetector) => JSON.parse(JSON.stringify(from.exportThreatModel('agent-1')));
    const first = new ThreatDetector({ store: new MemoryModelStore(), contamination: 0.05 });
    first.importThreatModel('agent-1', exported(trained));
    first.record('agent-1', typical(1));
    // A checkpoint: the owner exports (the artifact a new owner loads) and installs that same artifact.
    const checkpoint = exported(first);
    first.importThreatModel('agent-1', checkpoint);
    const second = new ThreatDetector({ store: new MemoryModelStore(), contamination: 0.05 });
    second.importThreatModel('agent-1', checkpoint);
    for (const threats of [first, second]) threats.record('agent-1', typical(2));
    expect(second.assess('agent-1', suspicious, { record: false })).toEqual(
      first.assess('agent-1', suspicious, { record: false }),
    );
    expect(second.exportThreatModel('agent-1')).toEqual(first.exportThreatModel('agent-1'));
  });

  it('a dropped agent is gone from memory, and nothing was saved', async () => {
    const store = new MemoryModelStore();
    const threats = new ThreatDetector({ store, contamination: 0.05 });
    threats.train('agent-1', specHistory);
    threats.dropAgent('agent-1');
    expect(threats.hasModel('agent-1')).toBe(false);
    expect(() => threats.exportThreatModel('agent-1')).toThrow();
    expect(await store.has('agent-1', THREAT_MODEL_KIND)).toBe(false);
  });
});
