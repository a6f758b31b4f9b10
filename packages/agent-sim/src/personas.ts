// Agent personas: who works when, with which tools, how fast and how reliably.
import type { SimRandom } from './random.js';

export interface ToolProfile {
  readonly name: string;
  readonly eventType: string;
  /** Relative frequency among the agent's tools. */
  readonly weight: number;
  readonly durationMedianMs: number;
  /** Log-space spread of durations. */
  readonly durationSigma: number;
  readonly resourceCount: readonly [number, number];
  /** Network tools contact these domains. */
  readonly destinations?: readonly string[];
  /** File tools touch these directories. */
  readonly directories?: readonly string[];
  readonly networkBytesMedian?: number;
}

export interface Persona {
  readonly agentId: string;
  readonly role: string;
  readonly timeZone: string;
  /** Local working hours [start, end). */
  readonly hours: readonly [number, number];
  readonly weekdaysOnly: boolean;
  readonly callsPerHour: number;
  readonly errorRate: number;
  readonly tools: readonly ToolProfile[];
}

const ROLES: Record<string, readonly ToolProfile[]> = {
  researcher: [
    {
      name: 'web_search',
      eventType: 'tool_call',
      weight: 5,
      durationMedianMs: 420,
      durationSigma: 0.35,
      resourceCount: [1, 3],
      destinations: ['search.example.com'],
      networkBytesMedian: 40_000,
    },
    {
      name: 'web_fetch',
      eventType: 'tool_call',
      weight: 4,
      durationMedianMs: 650,
      durationSigma: 0.45,
      resourceCount: [1, 2],
      destinations: ['docs.example.org', 'arxiv.example.org', 'news.example.net'],
      networkBytesMedian: 120_000,
    },
    {
      name: 'read_file',
      eventType: 'file_operation',
      weight: 2,
      durationMedianMs: 35,
      durationSigma: 0.3,
      resourceCount: [1, 4],
      directories: ['/srv/research/notes', '/srv/research/papers'],
    },
    {
      name: 'write_note',
      eventType: 'file_operation',
      weight: 1,
      durationMedianMs: 60,
      durationSigma: 0.3,
      resourceCount: [1, 1],
      directories: ['/srv/research/notes'],
    },
  ],
  coder: [
    {
      name: 'read_file',
      eventType: 'file_operation',
      weight: 6,
      durationMedianMs: 25,
      durationSigma: 0.3,
      resourceCount: [1, 5],
      directories: ['/home/dev/app/src', '/home/dev/app/test'],
    },
    {
      name: 'write_file',
      eventType: 'file_operation',
      weight: 3,
      durationMedianMs: 45,
      durationSigma: 0.3,
      resourceCount: [1, 2],
      directories: ['/home/dev/app/src'],
    },
    {
      name: 'run_tests',
      eventType: 'tool_call',
      weight: 2,
      durationMedianMs: 8000,
      durationSigma: 0.25,
      resourceCount: [10, 40],
    },
    {
      name: 'git_status',
      eventType: 'tool_call',
      weight: 2,
      durationMedianMs: 120,
      durationSigma: 0.2,
      resourceCount: [1, 3],
    },
  ],
  support: [
    {
      name: 'crm_lookup',
      eventType: 'tool_call',
      weight: 5,
      durationMedianMs: 180,
      durationSigma: 0.3,
      resourceCount: [1, 3],
      destinations: ['crm.internal.example'],
      networkBytesMedian: 8_000,
    },
    {
      name: 'kb_search',
      eventType: 'tool_call',
      weight: 3,
      durationMedianMs: 260,
      durationSigma: 0.35,
      resourceCount: [2, 6],
      destinations: ['kb.internal.example'],
      networkBytesMedian: 20_000,
    },
    {
      name: 'send_email',
      eventType: 'tool_call',
      weight: 2,
      durationMedianMs: 340,
      durationSigma: 0.3,
      resourceCount: [1, 1],
      destinations: ['smtp.internal.example'],
      networkBytesMedian: 6_000,
    },
  ],
  analyst: [
    {
      name: 'sql_query',
      eventType: 'tool_call',
      weight: 5,
      durationMedianMs: 900,
      durationSigma: 0.5,
      resourceCount: [1, 8],
      destinations: ['warehouse.internal.example'],
      networkBytesMedian: 250_000,
    },
    {
      name: 'read_file',
      eventType: 'file_operation',
      weight: 2,
      durationMedianMs: 40,
      durationSigma: 0.3,
      resourceCount: [1, 3],
      directories: ['/data/reports', '/data/exports'],
    },
    {
      name: 'render_chart',
      eventType: 'tool_call',
      weight: 2,
      durationMedianMs: 1500,
      durationSigma: 0.3,
      resourceCount: [1, 2],
    },
  ],
  ops: [
    {
      name: 'list_dir',
      eventType: 'file_operation',
      weight: 3,
      durationMedianMs: 15,
      durationSigma: 0.3,
      resourceCount: [1, 20],
      directories: ['/var/log/app', '/srv/deploy'],
    },
    {
      name: 'read_file',
      eventType: 'file_operation',
      weight: 3,
      durationMedianMs: 30,
      durationSigma: 0.3,
      resourceCount: [1, 2],
      directories: ['/var/log/app', '/srv/deploy'],
    },
    {
      name: 'http_request',
      eventType: 'tool_call',
      weight: 3,
      durationMedianMs: 220,
      durationSigma: 0.4,
      resourceCount: [1, 1],
      destinations: ['status.internal.example', 'metrics.internal.example'],
      networkBytesMedian: 15_000,
    },
  ],
};

/** The time zones generated personas live in. */
export const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Tokyo',
  'Europe/London',
  'America/Los_Angeles',
];

export function makePersona(random: SimRandom, index: number): Persona {
  const roles = Object.keys(ROLES);
  const role = roles[index % roles.length]!;
  const start = random.int(7, 10);
  return {
    agentId: `${role}-${String(index + 1).padStart(2, '0')}`,
    role,
    timeZone: random.pick(ZONES),
    hours: [start, start + random.int(7, 9)],
    // Every other agent works weekdays only, so weekend scenarios have candidates.
    weekdaysOnly: index % 2 === 0 || random.next() < 0.6,
    callsPerHour: random.int(5, 16),
    errorRate: 0.005 + random.next() * 0.02,
    tools: ROLES[role]!,
  };
}
