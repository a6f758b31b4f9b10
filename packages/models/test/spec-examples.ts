// The spec's example events, translated literally from its Python (datetime.now() → a fixed instant
// so the tests are reproducible).
const now = new Date('2026-03-04T14:25:00Z');
const atHour = (hour: number): Date => {
  const d = new Date(now);
  d.setUTCHours(hour);
  return d;
};

export const specTrainingEvent = {
  timestamp: now,
  event_type: 'tool_call',
  resource_count: 3,
  duration_ms: 200,
  success: true,
};

export const specSuspiciousEvent = {
  timestamp: atHour(3),
  event_type: 'file_operation',
  resource_count: 50,
  duration_ms: 5000,
  success: true,
};

export const specBaselineEvents = Array.from({ length: 100 }, (_, i) => ({
  timestamp: new Date(now.getTime() - i * 3_600_000),
  event_type: 'tool_call',
  resource_count: 2 + (i % 3),
  duration_ms: 150 + (i % 100),
}));

export const specNewEvent = {
  timestamp: atHour(2),
  event_type: 'rare_operation',
  resource_count: 100,
  duration_ms: 3000,
};

/** The audit-log form with every field of the spec's SecurityEvent. */
export const specFullEvent = {
  event_id: 'evt-0001',
  correlation_id: 'req-42',
  timestamp: '2026-03-04T14:25:00.123456',
  event_type: 'tool_call',
  actor: 'agent-123',
  tool_name: 'web_fetch',
  action: 'GET',
  status: 'success',
  duration_ms: 184.5,
  destination_ip: '93.184.216.34',
  destination_domain: 'Example.COM.',
  file_path: '/srv/data/report.csv',
  file_hash: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  resource_usage: { cpu: 0.25, memory_mb: 120, network_bytes: 5120 },
  metadata: { session_id: 's-1', model: 'claude' },
};
