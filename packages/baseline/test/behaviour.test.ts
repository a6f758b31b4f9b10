import { sensitiveCatalogue } from '@harombe/models';
import { describe, expect, it } from 'vitest';
import { BaselineLearner } from '../src/index.js';
import { stream } from './random.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MONDAY = Date.UTC(2026, 1, 2);
const AGENT = 'etl-1';

type Raw = Record<string, unknown>;

/**
 * 28 days of an ETL agent: weekday work 9-17 (source reads in /srv/app, partitioned output, an API
 * of small responses, a CDN of large downloads, select/insert queries) and a nightly batch at 02:00.
 */
function history(seed = 1, days = 28): Raw[] {
  const random = stream(seed);
  const events: Raw[] = [];
  const day = (d: number) => new Date(MONDAY + d * DAY).toISOString().slice(0, 10);
  for (let d = 0; d < days; d++) {
    const base = MONDAY + d * DAY;
    for (let k = 0; k < 120; k++) {
      const at = base + 2 * HOUR + Math.floor((k / 120) * 20 * MINUTE);
      events.push({ timestamp: at, event_type: 'tool_call', tool_name: 'batch_job', duration_ms: 40 });
    }
    if (d % 7 >= 5) continue;
    for (let h = 9; h < 17; h++) {
      for (let k = 0; k < 6; k++) {
        const at = base + h * HOUR + Math.floor(random() * HOUR);
        const pick = random();
        if (pick < 0.3) {
          const file = ['main.ts', 'util.ts', 'config.yaml', 'README.md'][Math.floor(random() * 4)];
          events.push({
            timestamp: at,
            event_type: 'file_operation',
            tool_name: 'read_file',
            file_path: `/srv/app/${file}`,
          });
        } else if (pick < 0.45) {
          const part = String(Math.floor(random() * 99_999)).padStart(5, '0');
          events.push({
            timestamp: at,
            event_type: 'file_operation',
            tool_name: 'write_output',
            file_path: `/data/out/dt=${day(d)}/part-${part}.parquet`,
          });
        } else if (pick < 0.7) {
          events.push({
            timestamp: at,
            event_type: 'tool_call',
            tool_name: 'http_get',
            destination_domain: 'api.example.com',
            resource_usage: { network_bytes: Math.round(30_000 + random() * 40_000) },
          });
        } else if (pick < 0.8) {
          events.push({
            timestamp: at,
            event_type: 'tool_call',
            tool_name: 'download',
            destination_domain: 'cdn.example.net',
            resource_usage: { network_bytes: Math.round(10_000_000 + random() * 30_000_000) },
          });
        } else {
          events.push({
            timestamp: at,
            event_type: 'database_query',
            tool_name: 'db_query',
            action: random() < 0.8 ? 'select' : 'insert',
          });
        }
      }
    }
  }
  return events.sort((a, b) => (a.timestamp as number) - (b.timestamp as number));
}

function trained(
  events: readonly Raw[] = history(),
  options: ConstructorParameters<typeof BaselineLearner>[0] = {},
) {
  const learner = new BaselineLearner(options);
  for (const event of events) learner.recordEvent(AGENT, event);
  return learner;
}

/** Each working hour (9-17) of 28 days: `hour` its start, `h` its hour of the day. */
function workingHours(each: (hour: number, h: number) => void): void {
  for (let d = 0; d < 28; d++) for (let h = 9; h < 17; h++) each(MONDAY + d * DAY + h * HOUR, h);
}

/** A call of `http_post` sending `bytes` to `destination`. */
function post(timestamp: number, destination: string, bytes: number): Raw {
  return {
    timestamp,
    event_type: 'tool_call',
    tool_name: 'http_post',
    destination_domain: destination,
    resource_usage: { bytes_sent: bytes },
  };
}

/**
 * A poster's 28 days, learned: 60 calls each day from 9:00, 40-80 KB to its API, or a few hundred
 * bytes to 2 KB to a domain it barely knows, on 30% of calls in its first two weeks (every domain is
 * young then) and `laterShare` of them after; `extra(d)`, if any, recorded after day d's calls.
 */
function poster(
  laterShare: number,
  options: ConstructorParameters<typeof BaselineLearner>[0] = {},
  extra: (d: number) => Raw | undefined = () => undefined,
): BaselineLearner {
  const random = stream(9);
  const learner = new BaselineLearner(options);
  let domain = 0;
  for (let d = 0; d < 28; d++) {
    for (let k = 0; k < 60; k++) {
      const young = random() < (d < 14 ? 0.3 : laterShare);
      const at = MONDAY + d * DAY + 9 * HOUR + k * 7 * MINUTE;
      learner.recordEvent(
        AGENT,
        young
          ? post(at, `site-${domain++}.example.org`, Math.round(200 * 10 ** random()))
          : post(at, 'api.example.com', Math.round(40_000 + random() * 40_000)),
      );
    }
    const more = extra(d);
    if (more !== undefined) learner.recordEvent(AGENT, more);
  }
  return learner;
}

/** Tuesday of the week after history, at an hour of the working day. */
const LIVE = MONDAY + 29 * DAY + 11 * HOUR;

describe('behaviour dimensions', () => {
  const learner = trained();
  const scores = (event: Raw) => learner.detectAnomalies(AGENT, { timestamp: LIVE, ...event })!;

  it('knows a secret read in a familiar directory for what it is, and says so', () => {
    const env = { event_type: 'file_operation', tool_name: 'read_file', file_path: '/srv/app/.env' };
    expect(scores(env).content).toBeGreaterThanOrEqual(0.9);
    expect(scores(env).novelty).toBe(0);
    expect(learner.describeBehaviour(AGENT, { timestamp: LIVE, ...env }, 'content')).toBe(
      'file .env in a directory this agent uses, environment files holding secrets (catalogue: env-file); first read by this agent',
    );
    expect(
      scores({ event_type: 'file_operation', tool_name: 'read_file', file_path: '/srv/app/main.ts' }).content,
    ).toBe(0);
    expect(
      scores({ event_type: 'file_operation', tool_name: 'read_file', file_path: '/etc/shadow' }).content,
    ).toBeGreaterThanOrEqual(0.9);
  });

  it('a user catalogue entry is an indicator too', () => {
    const own = trained(history(), {
      sensitiveLocations: sensitiveCatalogue({
        add: [
          { id: 'app-config', description: 'application configuration', patterns: ['/srv/app/secrets.yaml'] },
        ],
      }),
    });
    const event = {
      timestamp: LIVE,
      event_type: 'file_operation',
      tool_name: 'read_file',
      file_path: '/srv/app/secrets.yaml',
    };
    expect(own.detectAnomalies(AGENT, event)!.content).toBeGreaterThanOrEqual(0.9);
    expect(learner.detectAnomalies(AGENT, event)!.content).toBe(0);
  });

  it('a new date partition is the same place; a new directory is new', () => {
    const write = (path: string) =>
      scores({ event_type: 'file_operation', tool_name: 'write_output', file_path: path });
    expect(write('/data/out/dt=2026-03-03/part-00042.parquet').novelty).toBe(0);
    // ~100 writes after the first week, none to a new place: about 0.5% (score 0.77).
    expect(write('/data/staging/x.parquet').novelty).toBeGreaterThan(0.7);
  });

  it('a destructive verb this tool never ran registers; its usual verbs do not', () => {
    expect(
      scores({ event_type: 'database_query', tool_name: 'db_query', action: 'DROP TABLE orders' }).action,
    ).toBeGreaterThanOrEqual(0.9);
    expect(scores({ event_type: 'database_query', tool_name: 'db_query', action: 'select' }).action).toBe(0);
    expect(
      learner.describeBehaviour(
        AGENT,
        { timestamp: LIVE, tool_name: 'db_query', event_type: 'database_query', action: 'truncate orders' },
        'action',
      ),
    ).toBe('action "truncate" never run by db_query before (destructive)');
  });

  it('judges volume per tool: 30x the http tool is unusual though downloads are larger still', () => {
    const http = (bytes: number) =>
      scores({
        event_type: 'tool_call',
        tool_name: 'http_get',
        destination_domain: 'api.example.com',
        resource_usage: { network_bytes: bytes },
      });
    expect(http(1_500_000).volume).toBeGreaterThanOrEqual(0.9);
    expect(http(50_000).volume).toBeLessThan(0.5);
    const download = scores({
      event_type: 'tool_call',
      tool_name: 'download',
      destination_domain: 'cdn.example.net',
      resource_usage: { network_bytes: 25_000_000 },
    });
    expect(download.volume).toBeLessThan(0.5);
  });

  it('sums bytes per destination within the hour: exfiltration spread over ordinary calls registers', () => {
    const spread = trained();
    let worst = 0;
    for (let i = 0; i < 60; i++) {
      const event = {
        timestamp: LIVE + i * MINUTE,
        event_type: 'tool_call',
        tool_name: 'http_get',
        destination_domain: 'api.example.com',
        resource_usage: { network_bytes: 60_000 },
      };
      worst = Math.max(worst, spread.detectAnomalies(AGENT, event)!.volume);
      spread.recordEvent(AGENT, event, { learn: false });
    }
    expect(worst).toBeGreaterThanOrEqual(0.9);
  });

  it('judges what a tool sends to destinations still young to the agent against what it sends to young ones', () => {
    // A browser: posts of 40-80 KB to its API (after a first day of small test calls, while the API
    // was young); a look at a new domain now and then sends a few hundred bytes.
    const random = stream(5);
    const learner = new BaselineLearner();
    let domain = 0;
    for (let d = 0; d < 28; d++) {
      for (let k = 0; k < 60; k++) {
        const at = MONDAY + d * DAY + 9 * HOUR + k * 7 * MINUTE;
        const young = random() < 0.3;
        learner.recordEvent(AGENT, {
          timestamp: at,
          event_type: 'tool_call',
          tool_name: 'http_post',
          destination_domain: young ? `site-${domain++}.example.org` : 'api.example.com',
          resource_usage: {
            bytes_sent:
              young || d === 0 ? Math.round(200 + random() * 300) : Math.round(40_000 + random() * 40_000),
          },
        });
      }
    }
    // A domain seeded twice two days ago (young: seen, not established).
    for (const h of [10, 11])
      learner.recordEvent(AGENT, {
        timestamp: MONDAY + 26 * DAY + h * HOUR,
        event_type: 'tool_call',
        tool_name: 'http_post',
        destination_domain: 'drop.attacker.example',
        resource_usage: { bytes_sent: 400 },
      });
    const send = (destination: string) =>
      learner.detectAnomalies(AGENT, {
        timestamp: MONDAY + 28 * DAY + 10 * HOUR,
        event_type: 'tool_call',
        tool_name: 'http_post',
        destination_domain: destination,
        resource_usage: { bytes_sent: 60_000 },
      })!.volume;
    // An ordinary post to the API; the same bytes to the young domain are far beyond what young
    // domains get.
    expect(send('api.example.com')).toBeLessThan(0.5);
    expect(send('drop.attacker.example')).toBeGreaterThanOrEqual(0.9);
    // And it survives a save and load.
    const copy = new BaselineLearner();
    copy.importAgent(AGENT, JSON.parse(JSON.stringify(learner.exportAgent(AGENT))));
    expect(
      copy.detectAnomalies(AGENT, {
        timestamp: MONDAY + 28 * DAY + 10 * HOUR,
        event_type: 'tool_call',
        tool_name: 'http_post',
        destination_domain: 'drop.attacker.example',
        resource_usage: { bytes_sent: 60_000 },
      })!.volume,
    ).toBeGreaterThanOrEqual(0.9);
  });

  it('judges bytes to a young destination jointly with how often the tool reaches young ones at all', () => {
    // Two browsers that post 40-80 KB to their API and a few hundred bytes to 2 KB to domains they
    // barely know. In their first two weeks (every domain is young then) both meet new domains on
    // 30% of calls; afterwards one keeps doing so, the other almost never does (1%).
    const learnerFor = (laterShare: number) => poster(laterShare);
    // 1.9 KB to a never-seen domain: in the upper tail of what young domains get, not beyond it.
    const upload = (learner: BaselineLearner) =>
      learner.detectAnomalies(AGENT, {
        timestamp: MONDAY + 28 * DAY + 10 * HOUR,
        event_type: 'tool_call',
        tool_name: 'http_post',
        destination_domain: 'drop.attacker.example',
        resource_usage: { bytes_sent: 1_900 },
      })!.volume;
    const rarely = learnerFor(0.01);
    const often = learnerFor(0.3);
    // Where young domains are rare, an upload to one is rare twice over; where they are common, the
    // same upload is only somewhat large.
    expect(upload(rarely)).toBeGreaterThanOrEqual(0.8);
    expect(upload(often)).toBeLessThan(0.5);
    // And says so.
    expect(
      rarely.describeBehaviour(
        AGENT,
        {
          timestamp: MONDAY + 28 * DAY + 10 * HOUR,
          event_type: 'tool_call',
          tool_name: 'http_post',
          destination_domain: 'drop.attacker.example',
          resource_usage: { bytes_sent: 1_900 },
        },
        'volume',
      ),
    ).toMatch(
      /^sent 2 KB to drop\.attacker\.example within the hour, first contacted \(http_post sends to a destination it barely knows on 0\.\d% of its calls\)$/,
    );
    // The young share is saved with the agent.
    const copy = new BaselineLearner();
    copy.importAgent(AGENT, JSON.parse(JSON.stringify(rarely.exportAgent(AGENT))));
    expect(upload(copy)).toBeCloseTo(upload(rarely), 10);
  });

  it('a domain seeded in the last days of training is not known (poisoning)', () => {
    const seeded = history();
    for (const d of [26, 27]) {
      for (const h of [10, 14]) {
        seeded.push({
          timestamp: MONDAY + d * DAY + h * HOUR,
          event_type: 'tool_call',
          tool_name: 'http_get',
          destination_domain: 'telemetry.attacker.example',
          resource_usage: { network_bytes: 40_000 },
        });
      }
    }
    seeded.sort((a, b) => (a.timestamp as number) - (b.timestamp as number));
    const poisoned = trained(seeded);
    const call = (domain: string) => ({
      timestamp: LIVE,
      event_type: 'tool_call',
      tool_name: 'http_get',
      destination_domain: domain,
      resource_usage: { network_bytes: 50_000 },
    });
    const seededScore = poisoned.detectAnomalies(AGENT, call('telemetry.attacker.example'))!.novelty;
    expect(seededScore).toBeGreaterThan(0.6);
    expect(seededScore).toBe(poisoned.detectAnomalies(AGENT, call('never-seen.example'))!.novelty);
    expect(poisoned.detectAnomalies(AGENT, call('api.example.com'))!.novelty).toBe(0);
    expect(poisoned.describeBehaviour(AGENT, call('telemetry.attacker.example'), 'novelty')).toMatch(
      /^destination telemetry\.attacker\.example, first contacted 3 days ago \(http_get meets a new destination in [0-9.]+% of calls\)$/,
    );
  });

  it('a seeded domain does not become routine within the hour of an upload to it', () => {
    // A poster that sends 40-80 KB to its API and rarely meets a new domain (1% of calls, a few
    // hundred bytes); a domain seeded with three light calls in its last days of training.
    const learner = poster(0.01, {}, (d) =>
      d >= 25 ? post(MONDAY + d * DAY + 18 * HOUR, 'drop.attacker.example', 300) : undefined,
    );
    // Then twelve uploads of 1.2 KB within the hour, each learned as it goes (none flagged): by the
    // eighth the domain has ten uses, all but three of them this hour's.
    const volumes: number[] = [];
    for (let i = 0; i < 12; i++) {
      const event = post(MONDAY + 28 * DAY + 10 * HOUR + i * 4 * MINUTE, 'drop.attacker.example', 1_200);
      volumes.push(learner.tailProbabilities(AGENT, event)!.volume);
      learner.recordEvent(AGENT, event);
    }
    // Still judged as bytes to a domain the poster barely knows (routine, they would be nothing).
    for (const volume of volumes) expect(volume).toBeLessThanOrEqual(volumes[0]!);
    expect(volumes[11]).toBeLessThan(0.01);
  });

  it('judges a call with the calls of its hour held ahead of the clock (an upload after a quiet night)', () => {
    // The poster's last call was the evening before: the upload's first calls are ahead of its
    // clock, held until three confirm the new time. Their bytes and calls still belong to the hour.
    const seeded = (options: ConstructorParameters<typeof BaselineLearner>[0]) =>
      poster(0.01, options, (d) =>
        d >= 25 ? post(MONDAY + d * DAY + 18 * HOUR, 'drop.attacker.example', 300) : undefined,
      );
    const upload = (i: number) =>
      post(MONDAY + 28 * DAY + 10 * HOUR + i * 4 * MINUTE, 'drop.attacker.example', 1_200);
    const held = seeded({});
    const placed = seeded({ corroboration: 1 }); // the same calls, each placed at once
    const first = held.tailProbabilities(AGENT, upload(0))!;
    for (const learner of [held, placed]) learner.recordEvent(AGENT, upload(0));
    expect(held.eventTime(AGENT, upload(1))).toBe('ahead'); // the first upload is held
    expect(placed.eventTime(AGENT, upload(1))).toBe('current');
    const second = held.tailProbabilities(AGENT, upload(1))!;
    const asPlaced = placed.tailProbabilities(AGENT, upload(1))!;
    // 2.4 KB within the hour, 2 of the hour's 2 calls: judged as if the first had been placed.
    expect(held.describeBehaviour(AGENT, upload(1), 'volume')).toMatch(
      /^sent 2 KB to drop\.attacker\.example within the hour, /,
    );
    expect(held.describeBehaviour(AGENT, upload(1), 'concentration')).toMatch(
      /^2 of http_post's 2 calls within the hour went to drop\.attacker\.example /,
    );
    expect(second.volume).toBeLessThan(first.volume / 3);
    expect(second.concentration).toBeLessThan(first.concentration / 3);
    for (const key of ['volume', 'concentration'] as const) {
      expect(second[key] / asPlaced[key]).toBeGreaterThan(0.5);
      expect(second[key] / asPlaced[key]).toBeLessThan(2);
    }
    // A held call of another hour or another destination does not count.
    const later = post(MONDAY + 28 * DAY + 11 * HOUR + 5 * MINUTE, 'drop.attacker.example', 1_200);
    expect(held.describeBehaviour(AGENT, later, 'volume')).toMatch(/^sent 1 KB to drop/);
    const elsewhere = post(MONDAY + 28 * DAY + 10 * HOUR + 4 * MINUTE, 'cdn.example.net', 1_200);
    expect(held.describeBehaviour(AGENT, elsewhere, 'volume')).toMatch(/^sent 1 KB to cdn/);
  });

  it('judges the rate against the same period of the day: a nightly batch does not hide a daytime burst', () => {
    const burst = trained();
    let worst = 0;
    for (let i = 0; i < 60; i++) {
      const event = {
        timestamp: LIVE + i * 10_000,
        event_type: 'tool_call',
        tool_name: 'http_get',
        destination_domain: 'api.example.com',
      };
      worst = Math.max(worst, burst.detectAnomalies(AGENT, event)!.rate);
      burst.recordEvent(AGENT, event, { learn: false });
    }
    expect(worst).toBeGreaterThanOrEqual(0.9);
    // The batch itself, at its hour, is ordinary.
    const night = trained();
    let batch = 0;
    for (let k = 0; k < 120; k++) {
      const event = {
        timestamp: MONDAY + 29 * DAY + 2 * HOUR + k * 10_000,
        event_type: 'tool_call',
        tool_name: 'batch_job',
        duration_ms: 40,
      };
      batch = Math.max(batch, night.detectAnomalies(AGENT, event)!.rate);
      night.recordEvent(AGENT, event);
    }
    expect(batch).toBeLessThan(0.5);
  });

  it('resetActivity: a replay of a period before the newest event sees its own activity, not the last hour', () => {
    const burst = Array.from({ length: 60 }, (_, i) => ({
      timestamp: LIVE + i * 10_000,
      event_type: 'tool_call',
      tool_name: 'http_get',
      destination_domain: 'api.example.com',
      resource_usage: { network_bytes: 60_000 },
    }));
    const pass = (learner: BaselineLearner) =>
      burst.map((event) => {
        const { rate, volume } = learner.detectAnomalies(AGENT, event)!;
        learner.recordEvent(AGENT, event, { learn: false });
        return [rate, volume];
      });
    // A clock that accepts the burst days after the history at once (no call of the first pass held).
    const atDay = () => trained(history(), { maxLeadMs: 7 * DAY });
    const carried = atDay();
    const first = pass(carried);
    expect(Math.max(...first.map(([rate]) => rate!))).toBeGreaterThanOrEqual(0.9);
    // Replayed as it stands, the first calls already see the whole burst in their hour.
    expect(pass(carried)[0]).not.toEqual(first[0]);
    const reset = atDay();
    pass(reset);
    reset.resetActivity(AGENT);
    expect(pass(reset)).toEqual(first);
  });

  it.each([
    ['robust', true],
    ['mean and standard deviation', false],
  ])(
    'judges a destination the tool uses now and then by its own hours, not by the busiest one (%s)',
    (_, robust) => {
      // A poster: its busy destination takes 4-8 calls of 20-40 KB an hour; its webhook one call of
      // 2-4 KB every other hour. Twenty webhook calls within the hour (60 KB) is ordinary for the tool
      // (a busy hour is three times that) and out of all proportion for the webhook.
      const random = stream(11);
      const learner = new BaselineLearner({ robust });
      workingHours((hour, h) => {
        const calls = 4 + Math.floor(random() * 5);
        for (let k = 0; k < calls; k++)
          learner.recordEvent(AGENT, {
            timestamp: hour + k * 7 * MINUTE,
            event_type: 'tool_call',
            tool_name: 'poster',
            destination_domain: 'busy.example.com',
            resource_usage: { bytes_sent: Math.round(20_000 + random() * 20_000) },
          });
        if (h % 2 === 0)
          learner.recordEvent(AGENT, {
            timestamp: hour + 59 * MINUTE,
            event_type: 'tool_call',
            tool_name: 'poster',
            destination_domain: 'hooks.example.com',
            resource_usage: { bytes_sent: Math.round(2_000 + random() * 2_000) },
          });
      });
      const volumeAfter = (destination: string) => {
        let volume = 0;
        for (let i = 0; i < 20; i++) {
          const event = {
            timestamp: LIVE + i * MINUTE,
            event_type: 'tool_call',
            tool_name: 'poster',
            destination_domain: destination,
            resource_usage: { bytes_sent: 3_000 },
          };
          volume = learner.detectAnomalies(AGENT, event)!.volume;
          learner.recordEvent(AGENT, event, { learn: false });
        }
        return volume;
      };
      expect(volumeAfter('hooks.example.com')).toBeGreaterThanOrEqual(0.9);
      expect(volumeAfter('busy.example.com')).toBe(0);
    },
  );

  it("keeps a destination's own hours for at most the vocabulary cap, all tools together", () => {
    const learner = new BaselineLearner({ maxVocabulary: 50 });
    // 30 tools each sending to the same 30 destinations: 900 pairs, 50 kept.
    for (let i = 0; i < 900; i++)
      learner.recordEvent(AGENT, {
        timestamp: MONDAY + i * MINUTE,
        event_type: 'tool_call',
        tool_name: `tool-${i % 30}`,
        destination_domain: `d-${Math.floor(i / 30)}.example.org`,
        resource_usage: { bytes_sent: 1_000 },
      });
    const own = learner.toJSON().agents[0]!.behaviour.ownHours;
    expect(own.length).toBe(50);
    // Restored, it counts what it holds: still no room for more.
    const restored = BaselineLearner.fromJSON(learner.toJSON());
    restored.recordEvent(AGENT, {
      timestamp: MONDAY + 900 * MINUTE,
      event_type: 'tool_call',
      tool_name: 'tool-new',
      destination_domain: 'd-new.example.org',
      resource_usage: { bytes_sent: 1_000 },
    });
    expect(restored.toJSON().agents[0]!.behaviour.ownHours.length).toBe(50);
  });

  it("keeps a transfer's hour while the agent meets hundreds of other destinations in passing", () => {
    const transfer = (passing: number) => {
      const learner = trained();
      // Hundreds met in passing in the hours before (a browser's long tail), and more during it.
      for (let k = 0; k < 30 * passing; k++)
        learner.recordEvent(
          AGENT,
          {
            timestamp: LIVE - 3 * HOUR + k * 20_000,
            event_type: 'tool_call',
            tool_name: 'browser',
            destination_domain: `before-${k}.example.org`,
            resource_usage: { network_bytes: 500 },
          },
          { learn: false },
        );
      let volume = 0;
      for (let i = 0; i < 30; i++) {
        const at = LIVE + i * MINUTE;
        for (let k = 0; k < passing; k++)
          learner.recordEvent(
            AGENT,
            {
              timestamp: at + k,
              event_type: 'tool_call',
              tool_name: 'browser',
              destination_domain: `site-${i}-${k}.example.org`,
              resource_usage: { network_bytes: 500 },
            },
            { learn: false },
          );
        const event = {
          timestamp: at + passing,
          event_type: 'tool_call',
          tool_name: 'http_get',
          destination_domain: 'api.example.com',
          resource_usage: { network_bytes: 60_000 },
        };
        volume = learner.tailProbabilities(AGENT, event)!.volume;
        learner.recordEvent(AGENT, event, { learn: false });
      }
      return volume;
    };
    expect(transfer(0)).toBeLessThan(1e-3);
    expect(transfer(10)).toBe(transfer(0));
  });

  it('loads a model saved before destinations had hours of their own (judged against the tool alone)', () => {
    const json = JSON.parse(JSON.stringify(trained(history(3)).toJSON()));
    for (const agent of json.agents) delete agent.behaviour.ownHours;
    const restored = BaselineLearner.fromJSON(json);
    const event = {
      timestamp: LIVE,
      event_type: 'tool_call',
      tool_name: 'http_get',
      destination_domain: 'api.example.com',
      resource_usage: { network_bytes: 60_000 },
    };
    expect(restored.tailProbabilities(AGENT, event)!.volume).toBeGreaterThan(0);
  });

  it("judges how the hour's calls of a tool crowd onto one destination against its usual share", () => {
    // A poster: 4-8 calls a working hour, each to one of five destinations (60% busy, 10% each other).
    const random = stream(17);
    const others = ['hooks.example.com', 'a.example.com', 'b.example.com', 'c.example.com'];
    const destination = () => {
      const x = random();
      return x < 0.6 ? 'busy.example.com' : others[Math.min(3, Math.floor((x - 0.6) / 0.1))]!;
    };
    const call = (timestamp: number, to: string, tool = 'poster') => ({
      timestamp,
      event_type: 'tool_call',
      tool_name: tool,
      destination_domain: to,
      resource_usage: { bytes_sent: 3_000 },
    });
    const learner = new BaselineLearner();
    workingHours((hour) => {
      const calls = 4 + Math.floor(random() * 5);
      for (let k = 0; k < calls; k++) learner.recordEvent(AGENT, call(hour + k * 7 * MINUTE, destination()));
      learner.recordEvent(AGENT, call(hour + 30 * MINUTE, 'files.example.com', 'fetch'));
    });
    const saved = JSON.parse(JSON.stringify(learner.toJSON()));
    // An ordinary hour: nothing crowded.
    let ordinary = 1;
    for (let k = 0; k < 8; k++) {
      const event = call(LIVE + k * 7 * MINUTE, destination());
      ordinary = Math.min(ordinary, learner.tailProbabilities(AGENT, event)!.concentration);
      learner.recordEvent(AGENT, event);
    }
    expect(ordinary).toBeGreaterThan(0.01);
    // The next hour, a webhook the poster uses now and then takes 12 calls of 14 (each ordinary).
    const start = LIVE + 2 * HOUR;
    let tail = 1;
    for (let k = 0; k < 14; k++) {
      const event = call(start + k * 3 * MINUTE, k % 7 === 3 ? 'busy.example.com' : 'hooks.example.com');
      tail = learner.tailProbabilities(AGENT, event)!.concentration;
      learner.recordEvent(AGENT, event, { learn: false });
    }
    expect(tail).toBeLessThan(1e-4);
    const last = call(start + 14 * 3 * MINUTE, 'hooks.example.com');
    expect(learner.describeBehaviour(AGENT, last, 'concentration')).toMatch(
      /^13 of poster's 15 calls within the hour went to hooks\.example\.com \(usually 1\d% of them\)$/,
    );
    // A single call to a destination barely known is the novelty dimension's to judge, and a tool
    // with one destination calling it often is the rate's: neither is crowding.
    const restored = BaselineLearner.fromJSON(saved);
    expect(restored.tailProbabilities(AGENT, call(start, 'rare.example.org'))!.concentration).toBe(1);
    for (let k = 0; k < 30; k++) {
      const event = call(start + k * 20_000, 'files.example.com', 'fetch');
      expect(restored.tailProbabilities(AGENT, event)!.concentration).toBe(1);
      restored.recordEvent(AGENT, event, { learn: false });
    }
    // Saved with the agent: a restored learner judges the crowded hour alike.
    const again = BaselineLearner.fromJSON(JSON.parse(JSON.stringify(learner.toJSON())));
    expect(again.tailProbabilities(AGENT, last)!.concentration).toBe(
      learner.tailProbabilities(AGENT, last)!.concentration,
    );
  });

  it('gives a destination planted days ago the share of a new one: three calls do not make it usual', () => {
    const call = (timestamp: number, to: string) => ({
      timestamp,
      event_type: 'tool_call',
      tool_name: 'poster',
      destination_domain: to,
      resource_usage: { bytes_sent: 3_000 },
    });
    const others = ['a.example.com', 'b.example.com', 'c.example.com', 'd.example.com'];
    const random = stream(5);
    // Four weeks of a poster's working hours; in the last week, three calls to a domain seeded there.
    const planted = new Set([
      MONDAY + 22 * DAY + 10 * HOUR,
      MONDAY + 24 * DAY + 14 * HOUR,
      MONDAY + 25 * DAY + 9 * HOUR,
    ]);
    const learner = new BaselineLearner();
    workingHours((hour) => {
      const calls = 4 + Math.floor(random() * 5);
      for (let k = 0; k < calls; k++)
        learner.recordEvent(AGENT, call(hour + k * 7 * MINUTE, others[Math.floor(random() * 4)]!));
      if (planted.has(hour)) learner.recordEvent(AGENT, call(hour + 55 * MINUTE, 'seeded.example.net'));
    });
    // The same crowded hour, once to the seeded domain and once to one never seen.
    const usualShare = (to: string) => {
      const copy = BaselineLearner.fromJSON(JSON.parse(JSON.stringify(learner.toJSON())));
      for (let k = 0; k < 4; k++) copy.recordEvent(AGENT, call(LIVE + k * 5 * MINUTE, to), { learn: false });
      const text = copy.describeBehaviour(AGENT, call(LIVE + 20 * MINUTE, to), 'concentration')!;
      return text.replace(to, 'it');
    };
    expect(usualShare('seeded.example.net')).toMatch(/^5 of poster's 5 calls within the hour went to it/);
    expect(usualShare('seeded.example.net')).toBe(usualShare('fresh.example.net'));
    // An established destination keeps its own share.
    expect(usualShare('a.example.com')).not.toBe(usualShare('fresh.example.net'));
  });

  it('saves and restores what it learned exactly', () => {
    const original = trained(history(3));
    const restored = BaselineLearner.fromJSON(JSON.parse(JSON.stringify(original.toJSON())));
    const random = stream(9);
    for (let i = 0; i < 400; i++) {
      const event = {
        timestamp: LIVE + i * 45_000,
        event_type: 'tool_call',
        tool_name: random() < 0.5 ? 'http_get' : 'download',
        destination_domain: random() < 0.9 ? 'api.example.com' : `new-${i}.example`,
        resource_usage: { network_bytes: Math.round(random() * 2_000_000) },
        ...(random() < 0.2 ? { file_path: `/srv/app/${random() < 0.5 ? '.env' : 'main.ts'}` } : {}),
      };
      expect(restored.tailProbabilities(AGENT, event)).toEqual(original.tailProbabilities(AGENT, event));
      original.recordEvent(AGENT, event);
      restored.recordEvent(AGENT, event);
    }
  });
});
