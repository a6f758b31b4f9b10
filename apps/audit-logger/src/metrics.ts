// The anomaly plugin's Prometheus metrics, in a registry of their own (as the gateway's): the app
// has no server, so the host serves `registry.metrics()` where it likes (see the README).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What the gauges read when scraped: the plugin's current state. */
export interface MetricsSource {
  /** Events waiting for detection: queued, put aside to be stored as skipped, and in flight. */
  readonly queueDepth: number;
  readonly workerUp: boolean;
}

export class AuditMetrics {
  readonly registry = new Registry();
  private source: (() => MetricsSource) | undefined;
  readonly queueDepth = this.gauge(
    'harombe_audit_queue_depth',
    'Events waiting for detection (queued or in flight)',
    (s) => s.queueDepth,
  );
  readonly workerUp = this.gauge(
    'harombe_audit_worker_up',
    'Whether the detection worker is running (1) or not (0)',
    (s) => (s.workerUp ? 1 : 0),
  );
  /** Events assessed, late ones included. */
  readonly assessed = this.counter(
    'harombe_audit_events_assessed_total',
    'Events assessed by the detector (backfilled ones included)',
  );
  /** Events stored as skipped (queue full, catching up, worker down, no actor). */
  readonly skipped = this.counter(
    'harombe_audit_events_skipped_total',
    'Events stored as skipped, to be assessed later (queue full, catching up, worker down, no actor)',
  );
  readonly failed = this.counter(
    'harombe_audit_events_failed_total',
    'Events whose assessment failed (tried again by the backfill)',
  );
  readonly backfilled = this.counter(
    'harombe_audit_events_backfilled_total',
    'Events assessed late, after they were skipped or failed',
  );
  readonly alerts = new Counter({
    name: 'harombe_audit_alerts_total',
    help: 'Alerts stored, by the threat level of their event',
    labelNames: ['level'] as const,
    registers: [this.registry],
  });
  readonly incidents = new Counter({
    name: 'harombe_audit_incidents_total',
    help: 'Incidents announced (onAlert), by change (opened, escalated, finding), kind (agent, campaign) and level reached',
    labelNames: ['change', 'kind', 'level'] as const,
    registers: [this.registry],
  });
  /** From an event's commit to its stored decision: queue wait, reading, assessment, storage. */
  readonly detectionSeconds = new Histogram({
    name: 'harombe_audit_detection_seconds',
    help: "Time from an event's commit to its stored decision (queue wait, assessment and storage; backfilled events not counted)",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });

  /** With `processMetrics`, also the process's own (memory, CPU, event loop), as prom-client collects them. */
  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** The plugin whose state the gauges report (the last attached). */
  watch(source: () => MetricsSource): void {
    this.source = source;
  }

  private gauge(name: string, help: string, read: (s: MetricsSource) => number): Gauge {
    const metrics = this;
    return new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        const state = metrics.source?.();
        if (state) this.set(read(state));
      },
    });
  }

  private counter(name: string, help: string): Counter {
    return new Counter({ name, help, registers: [this.registry] });
  }
}
