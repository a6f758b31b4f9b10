// Realistic personas: roles with many tools (Zipf-like use), heavy-tailed durations, byte volumes
// that differ by orders of magnitude between tools, file tools with file names, database and shell
// tools with verbs, long-tail browsing, nightly batch jobs, bursty or steady sessions, an
// hour-of-day profile, and weekend work at some agents.
import { ZONES as CLASSIC_ZONES, type Persona, type ToolProfile } from '../personas.js';
import { type SimRandom, zipfWeights } from '../random.js';

export type ToolKind =
  | 'http'
  | 'download'
  | 'upload'
  | 'browser'
  | 'db'
  | 'shell'
  | 'read'
  | 'write'
  | 'list'
  | 'compute';

export interface Weighted<T> {
  readonly value: T;
  readonly weight: number;
}

/** Median and log-space spread of a log-normal quantity. */
export type LogNormal = readonly [median: number, sigma: number];

export interface RealisticTool extends ToolProfile {
  readonly kind: ToolKind;
  readonly errorRate: number;
  /** Share of calls that take 10-100x their usual time (timeouts, huge queries, slow mirrors). */
  readonly longCallShare: number;
  /** Verbs: HTTP methods, SQL verbs, shell command lines (the `action` field). */
  readonly actions?: readonly Weighted<string>[];
  /** Relative use of each of `destinations`. */
  readonly destinationWeights?: readonly number[];
  /** Browsers: shares of calls to the fleet's long-tail pool and to never-repeated domains. */
  readonly browsing?: { readonly poolShare: number; readonly uniqueShare: number };
  readonly bytesSent?: LogNormal;
  readonly bytesReceived?: LogNormal;
  /** File tools: path templates (see `expandPath`) and their weights. */
  readonly files?: readonly Weighted<string>[];
  /** Database tools: rows per call, and tables. */
  readonly rows?: LogNormal;
  readonly tables?: readonly string[];
  /** Transfers: throughput in bytes/s (durations follow the size). */
  readonly throughput?: LogNormal;
}

/** A credential or secret file inside a directory the agent reads in ordinary work. */
export interface SecretTarget {
  readonly path: string;
  /** What kind of secret, e.g. `env-file`, `ssh-key`, `shadow`, `service-account-token`. */
  readonly kind: string;
}

export interface BatchStep {
  readonly tool: string;
  readonly share: number;
  /** Path templates for file tools (with `{yesterday}` and a running `{part}`). */
  readonly files?: readonly string[];
  readonly actions?: readonly Weighted<string>[];
}

/** A job run every night (weekends included): a burst of many calls. */
export interface BatchJob {
  readonly name: string;
  /** Local start, minutes after midnight. */
  readonly startMinute: number;
  readonly calls: readonly [number, number];
  readonly spanMinutes: readonly [number, number];
  readonly steps: readonly BatchStep[];
}

export interface RealisticPersona extends Persona {
  readonly regime: 'realistic';
  /** Relative call rate per local hour (1 at the busiest hour); `callsPerHour` is the busiest rate. */
  readonly hourProfile: readonly number[];
  /** Weekend rate relative to weekdays (0: weekdays only). */
  readonly weekendFactor: number;
  /** `steady`: calls one by one (a queue); `bursty`: calls in sessions of many quick calls. */
  readonly sessionStyle: 'steady' | 'bursty';
  readonly batch?: BatchJob;
  readonly secrets: readonly SecretTarget[];
  readonly tools: readonly RealisticTool[];
}

type ToolSpec = Omit<
  RealisticTool,
  'weight' | 'eventType' | 'durationSigma' | 'errorRate' | 'longCallShare'
> &
  Partial<Pick<RealisticTool, 'durationSigma' | 'errorRate' | 'longCallShare'>>;

const EVENT_TYPE: Record<ToolKind, string> = {
  http: 'network_request',
  download: 'network_request',
  upload: 'network_request',
  browser: 'network_request',
  db: 'database_query',
  shell: 'command_exec',
  read: 'file_operation',
  write: 'file_operation',
  list: 'file_operation',
  compute: 'tool_call',
};

const DEFAULT_SIGMA: Record<ToolKind, number> = {
  http: 0.9,
  download: 0.5,
  upload: 0.5,
  browser: 0.9,
  db: 1.2,
  shell: 1.3,
  read: 1.0,
  write: 1.0,
  list: 0.9,
  compute: 0.8,
};

const w = <T>(value: T, weight: number): Weighted<T> => ({ value, weight });
const files = (...entries: Array<[string, number]>): Weighted<string>[] => entries.map(([p, x]) => w(p, x));
const HTTP_VERBS = [w('GET', 70), w('POST', 25), w('PUT', 5)];

const http = (
  name: string,
  destinations: string[],
  sentMedian: number,
  receivedMedian: number,
  durationMedianMs = 220,
): ToolSpec => ({
  name,
  kind: 'http',
  durationMedianMs,
  resourceCount: [1, 1],
  destinations,
  actions: HTTP_VERBS,
  bytesSent: [sentMedian, 0.8],
  bytesReceived: [receivedMedian, 1.1],
});
const download = (name: string, destinations: string[], medianBytes: number): ToolSpec => ({
  name,
  kind: 'download',
  durationMedianMs: 1500,
  resourceCount: [1, 1],
  destinations,
  actions: [w('GET', 1)],
  bytesSent: [700, 0.3],
  bytesReceived: [medianBytes, 1.2],
  throughput: [25_000_000, 0.6],
});
const upload = (name: string, destinations: string[], medianBytes: number): ToolSpec => ({
  name,
  kind: 'upload',
  durationMedianMs: 1500,
  resourceCount: [1, 1],
  destinations,
  actions: [w('PUT', 1)],
  bytesSent: [medianBytes, 1.0],
  bytesReceived: [900, 0.3],
  throughput: [30_000_000, 0.6],
});
const browser = (name: string, favourites: string[], poolShare: number, uniqueShare: number): ToolSpec => ({
  name,
  kind: 'browser',
  durationMedianMs: 900,
  resourceCount: [1, 6],
  destinations: favourites,
  actions: [w('navigate', 1)],
  browsing: { poolShare, uniqueShare },
  bytesSent: [1_800, 0.5],
  bytesReceived: [180_000, 1.2],
});
const db = (
  name: string,
  host: string,
  tables: string[],
  actions: Weighted<string>[],
  rowsMedian: number,
  durationMedianMs = 300,
): ToolSpec => ({
  name,
  kind: 'db',
  durationMedianMs,
  resourceCount: [0, 0],
  destinations: [host],
  actions,
  rows: [rowsMedian, 1.4],
  tables,
  bytesSent: [600, 0.6],
  bytesReceived: [rowsMedian * 120, 1.4],
  longCallShare: 0.01,
});
const shell = (name: string, commands: Weighted<string>[], durationMedianMs = 250): ToolSpec => ({
  name,
  kind: 'shell',
  durationMedianMs,
  resourceCount: [1, 1],
  actions: commands,
});
const fileTool = (name: string, kind: 'read' | 'write' | 'list', paths: Weighted<string>[]): ToolSpec => ({
  name,
  kind,
  durationMedianMs: kind === 'list' ? 12 : 20,
  resourceCount: kind === 'list' ? [1, 400] : [1, 1],
  files: paths,
  throughput: [300_000_000, 0.5],
});
const compute = (
  name: string,
  durationMedianMs: number,
  resourceCount: [number, number] = [1, 1],
): ToolSpec => ({
  name,
  kind: 'compute',
  durationMedianMs,
  resourceCount,
  actions: [w('run', 1)],
});

const SLACK = 'hooks.slack.com';
const TABLES = [
  'orders',
  'customers',
  'events',
  'inventory',
  'payments',
  'sessions',
  'invoices',
  'shipments',
];

interface RoleSpec {
  /** Always present, in order of typical use. */
  readonly core: ToolSpec[];
  readonly optional: ToolSpec[];
  readonly secrets: SecretTarget[];
  readonly batch?: BatchJob;
  readonly steadyChance: number;
  readonly weekend: () => number;
  /** Rate at night relative to the busiest hour (24/7 desks and on-call work). */
  readonly nightRate: number;
}

type Role = (random: SimRandom) => RoleSpec;

const dataEngineer: Role = (random) => {
  const project = `/srv/pipelines/${random.pick(['etl-orders', 'etl-billing', 'ingest-events', 'etl-inventory'])}`;
  const tables = random.shuffled(TABLES).slice(0, 4);
  const t = tables.join('|');
  return {
    core: [
      db(
        'sql_query',
        'warehouse.corp.internal',
        tables,
        [w('select', 60), w('insert', 15), w('update', 10), w('merge', 8), w('create', 4)],
        2_000,
        600,
      ),
      fileTool(
        'write_file',
        'write',
        files(
          [`/data/out/{pick:${t}}/dt={date}/part-{part}.parquet`, 8],
          [`/data/out/{pick:${t}}/dt={date}/_SUCCESS`, 1],
          ['/tmp/job-{uuid}/stage-{int:0-40}.tmp', 2],
          [`${project}/dags/{pick:${t}}_dag.py`, 1],
        ),
      ),
      fileTool(
        'read_file',
        'read',
        files(
          [`${project}/config.yaml`, 5],
          [`${project}/README.md`, 1],
          [`${project}/dags/{pick:${t}}_dag.py`, 4],
          [`${project}/conf/spark-defaults.conf`, 2],
          [`${project}/conf/log4j.properties`, 1],
          [`/data/in/{pick:${t}}/dt={date}/part-{part}.json.gz`, 5],
          [`/data/out/{pick:${t}}/dt={yesterday}/_SUCCESS`, 1],
        ),
      ),
      download('s3_download', ['s3.eu-west-1.amazonaws.com', 'storage.googleapis.com'], 20_000_000),
      http(
        'http_request',
        ['airflow.corp.internal', 'api.github.com', 'datahub.corp.internal', SLACK, 'api.datadoghq.com'],
        2_500,
        30_000,
      ),
      upload('s3_upload', ['s3.eu-west-1.amazonaws.com'], 30_000_000),
      shell('shell', [
        w('git status', 6),
        w('git pull', 3),
        w('ls -la /data/out', 4),
        w('du -sh /data/out', 2),
        w('python run.py --dry-run', 2),
        w('git log --oneline -5', 1),
      ]),
      fileTool(
        'list_dir',
        'list',
        files([`/data/out/{pick:${t}}/dt={date}`, 3], [`/data/in/{pick:${t}}`, 2]),
      ),
    ],
    optional: [
      compute('spark_submit', 240_000, [4, 64]),
      http('schema_lookup', ['schema-registry.corp.internal'], 800, 12_000, 90),
      http('kafka_consume', ['kafka-1.corp.internal', 'kafka-2.corp.internal'], 400, 900_000, 1_200),
      http('send_slack', [SLACK], 1_200, 300, 180),
      browser('browse', ['spark.apache.org', 'docs.aws.amazon.com', 'stackoverflow.com'], 0.12, 0.03),
      http('llm_complete', ['api.openai.com'], 9_000, 3_000, 3_000),
      compute('dq_check', 12_000, [1, 20]),
      compute('run_tests', 25_000, [10, 60]),
    ],
    secrets: [
      { path: `${project}/.env`, kind: 'env-file' },
      { path: `${project}/conf/service-account.json`, kind: 'cloud-credentials' },
      { path: `${project}/conf/warehouse-client.key`, kind: 'key-file' },
    ],
    batch: {
      name: 'nightly-etl',
      startMinute: random.int(30, 210),
      calls: [150, 350],
      spanMinutes: [20, 45],
      steps: [
        { tool: 'read_file', share: 25, files: [`/data/in/{pick:${t}}/dt={yesterday}/part-{part}.json.gz`] },
        {
          tool: 'sql_query',
          share: 20,
          actions: [w('insert', 5), w('merge', 4), w('select', 3), w('create', 1)],
        },
        {
          tool: 'write_file',
          share: 35,
          files: [`/data/out/{pick:${t}}/dt={yesterday}/part-{part}.parquet`],
        },
        { tool: 's3_upload', share: 12 },
        { tool: 'list_dir', share: 8, files: [`/data/out/{pick:${t}}/dt={yesterday}`] },
      ],
    },
    steadyChance: 0.85,
    weekend: () => (random.chance(0.6) ? 0 : 0.2),
    nightRate: 0.01,
  };
};

const researcher: Role = (random) => {
  const home = '/home/agent';
  return {
    core: [
      browser(
        'browse',
        random
          .shuffled([
            'arxiv.org',
            'scholar.google.com',
            'en.wikipedia.org',
            'github.com',
            'stackoverflow.com',
            'news.ycombinator.com',
            'medium.com',
            'openreview.net',
            'paperswithcode.com',
            'nature.com',
            'sciencedirect.com',
            'reddit.com',
            'youtube.com',
            'huggingface.co',
            'towardsdatascience.com',
            'distill.pub',
            'semanticscholar.org',
            'acm.org',
            'ieee.org',
            'bbc.co.uk',
          ])
          .slice(0, random.int(12, 20)),
        0.35,
        0.12,
      ),
      http('web_search', ['api.search.brave.com', 'www.googleapis.com'], 900, 45_000, 450),
      fileTool(
        'read_file',
        'read',
        files(
          [`${home}/notes/{yyyy}-{mm}-{pick:reading|ideas|meeting|summary}.md`, 5],
          [`${home}/papers/{hex8}.pdf`, 4],
          [`${home}/.config/google-chrome/Default/Bookmarks`, 2],
          [`${home}/.config/google-chrome/Default/Preferences`, 1],
          [`${home}/.config/google-chrome/Default/History`, 1],
          [`${home}/.bashrc`, 1],
          [`${home}/.gitconfig`, 1],
          [`${home}/.profile`, 1],
        ),
      ),
      fileTool(
        'write_note',
        'write',
        files(
          [`${home}/notes/{date}-{pick:reading|ideas|summary|draft}.md`, 5],
          [`${home}/papers/{hex8}.pdf`, 2],
        ),
      ),
      download('fetch_pdf', ['arxiv.org', 'export.arxiv.org', 'openreview.net'], 2_500_000),
      http(
        'http_request',
        ['api.semanticscholar.org', 'api.crossref.org', 'api.zotero.org', SLACK, 'api.github.com'],
        1_800,
        25_000,
      ),
      http('summarize', ['api.openai.com', 'api.anthropic.com'], 12_000, 4_000, 4_000),
    ],
    optional: [
      fileTool(
        'list_dir',
        'list',
        files([`${home}/papers`, 2], [`${home}/notes`, 3], [`${home}/datasets`, 1]),
      ),
      compute('python_exec', 3_000, [1, 8]),
      download('dataset_download', ['huggingface.co', 'zenodo.org', 'storage.googleapis.com'], 60_000_000),
      db(
        'notes_db',
        'postgres.research.internal',
        ['notes', 'citations', 'tags'],
        [w('select', 70), w('insert', 20), w('update', 10)],
        40,
        60,
      ),
      http('send_email', ['smtp.corp.internal'], 6_000, 400, 350),
      http('translate', ['translation.googleapis.com'], 3_000, 3_000, 300),
      http('cite_lookup', ['api.crossref.org', 'doi.org'], 500, 8_000, 250),
    ],
    secrets: [
      { path: `${home}/.config/google-chrome/Default/Login Data`, kind: 'browser-credentials' },
      { path: `${home}/.config/google-chrome/Default/Cookies`, kind: 'browser-credentials' },
      { path: `${home}/.netrc`, kind: 'netrc' },
      { path: `${home}/.git-credentials`, kind: 'git-credentials' },
    ],
    steadyChance: 0.15,
    weekend: () => (random.chance(0.5) ? 0 : 0.3),
    nightRate: 0.02,
  };
};

const coder: Role = (random) => {
  const home = '/home/dev';
  const project = `${home}/${random.pick(['shop-api', 'billing-service', 'web-app', 'agent-runtime'])}`;
  const modules = 'index|server|routes|auth|db|config|utils|client|models|handlers';
  return {
    core: [
      fileTool(
        'read_file',
        'read',
        files(
          [`${project}/src/{pick:${modules}}.ts`, 10],
          [`${project}/src/{pick:routes|services|models}/{pick:${modules}}.ts`, 8],
          [`${project}/test/{pick:${modules}}.test.ts`, 4],
          [`${project}/package.json`, 4],
          [`${project}/README.md`, 2],
          [`${project}/tsconfig.json`, 2],
          [`${project}/.gitignore`, 1],
          [`${project}/node_modules/.cache/{sha}.json`, 2],
          [`${home}/.gitconfig`, 1],
          [`${home}/.bashrc`, 1],
          [`${home}/.ssh/known_hosts`, 1],
          [`${home}/.ssh/config`, 1],
          [`${home}/.aws/config`, 1],
          [`${home}/.docker/daemon.json`, 0.6],
        ),
      ),
      shell('shell', [
        w('git status', 10),
        w('git diff', 6),
        w('ls', 5),
        w('grep -rn TODO src', 3),
        w('npm test', 3),
        w('git log --oneline -10', 2),
        w('git add -A', 2),
        w('git commit -m wip', 2),
        w('cat package.json', 1),
        w('npm install', 1),
        w('git push', 1),
      ]),
      fileTool(
        'write_file',
        'write',
        files(
          [`${project}/src/{pick:${modules}}.ts`, 6],
          [`${project}/test/{pick:${modules}}.test.ts`, 3],
          [`${project}/dist/{hex8}.js`, 1],
        ),
      ),
      compute('search_code', 400, [1, 50]),
      http(
        'http_request',
        ['api.github.com', 'registry.npmjs.org', SLACK, 'sentry.io', 'api.linear.app'],
        1_500,
        20_000,
      ),
      compute('run_tests', 20_000, [10, 200]),
      browser(
        'browse',
        ['developer.mozilla.org', 'stackoverflow.com', 'nodejs.org', 'www.typescriptlang.org', 'github.com'],
        0.2,
        0.05,
      ),
    ],
    optional: [
      download('package_download', ['registry.npmjs.org', 'codeload.github.com'], 2_000_000),
      db(
        'dev_db',
        'postgres-dev.corp.internal',
        ['users', 'orders', 'migrations'],
        [w('select', 75), w('insert', 15), w('update', 10)],
        30,
        40,
      ),
      http('llm_complete', ['api.anthropic.com'], 15_000, 5_000, 3_500),
      fileTool('list_dir', 'list', files([`${project}/src`, 3], [`${project}/test`, 1], [project, 2])),
      compute('docker_build', 90_000, [5, 40]),
      compute('lint', 6_000, [10, 200]),
      http('send_slack', [SLACK], 1_200, 300, 180),
    ],
    secrets: [
      { path: `${project}/.env`, kind: 'env-file' },
      { path: `${home}/.netrc`, kind: 'netrc' },
      { path: `${home}/.git-credentials`, kind: 'git-credentials' },
      { path: `${home}/.ssh/id_rsa`, kind: 'ssh-key' },
      { path: `${home}/.ssh/id_ed25519`, kind: 'ssh-key' },
      { path: `${home}/.aws/credentials`, kind: 'cloud-credentials' },
      { path: `${home}/.docker/config.json`, kind: 'container-credentials' },
    ],
    steadyChance: 0.1,
    weekend: () => (random.chance(0.7) ? 0 : 0.15),
    nightRate: 0.02,
  };
};

const support: Role = (random) => {
  const app = '/srv/support/app';
  return {
    core: [
      db(
        'ticket_db',
        'tickets.corp.internal',
        ['tickets', 'customers', 'replies'],
        [w('select', 70), w('update', 20), w('insert', 10)],
        8,
        80,
      ),
      http('crm_lookup', ['crm.corp.internal'], 900, 9_000, 160),
      http('kb_search', ['kb.corp.internal'], 700, 25_000, 260),
      fileTool(
        'read_file',
        'read',
        files(
          ['/srv/support/tickets/{int:100000-999999}/attachment-{hex8}.{pick:pdf|png|txt|log}', 6],
          [`${app}/templates/{pick:refund|apology|escalation|welcome|shipping}.md`, 4],
          [`${app}/config.yaml`, 2],
          [`${app}/README.md`, 1],
          [`${app}/certs/smtp-client.crt`, 1],
          ['/home/support/.bashrc', 1],
          ['/home/support/.profile', 1],
        ),
      ),
      http('send_email', ['smtp.corp.internal'], 5_000, 400, 350),
      browser('browse', ['status.stripe.com', 'www.dhl.com', 'www.ups.com', 'support.google.com'], 0.4, 0.15),
      http(
        'http_request',
        ['api.stripe.com', SLACK, 'status.corp.internal', 'api.zendesk.com', 'api.twilio.com'],
        1_600,
        12_000,
      ),
      fileTool(
        'write_file',
        'write',
        files(['/srv/support/tickets/{int:100000-999999}/reply-{date}.md', 5], ['/tmp/export-{uuid}.csv', 1]),
      ),
    ],
    optional: [
      download('attachment_download', ['files.corp.internal'], 1_500_000),
      http('translate', ['translation.googleapis.com'], 2_500, 2_500, 300),
      http('llm_complete', ['api.openai.com'], 8_000, 2_500, 2_500),
      fileTool('list_dir', 'list', files(['/srv/support/tickets/{int:100000-999999}', 1])),
      http('refund_api', ['payments.corp.internal'], 700, 900, 400),
    ],
    secrets: [
      { path: `${app}/.env`, kind: 'env-file' },
      { path: `${app}/certs/smtp-client.key`, kind: 'key-file' },
      { path: '/home/support/.netrc', kind: 'netrc' },
      { path: '/home/support/.git-credentials', kind: 'git-credentials' },
    ],
    steadyChance: 0.85,
    weekend: () => (random.chance(0.4) ? 0 : 0.6 + random.next() * 0.4),
    nightRate: 0.12,
  };
};

const sre: Role = (random) => ({
  core: [
    shell('shell', [
      w('kubectl get pods', 8),
      w('systemctl status nginx', 4),
      w('journalctl -u app --since 1h', 4),
      w('df -h', 3),
      w('ls /var/log/app', 3),
      w('ps aux', 2),
      w('kubectl logs deploy/api', 3),
      w('kubectl describe pod', 2),
      w('docker ps', 2),
      w('uptime', 1),
      w('free -m', 1),
    ]),
    fileTool(
      'read_file',
      'read',
      files(
        ['/etc/hosts', 3],
        ['/etc/resolv.conf', 2],
        ['/etc/os-release', 1],
        ['/etc/passwd', 1],
        ['/etc/group', 0.5],
        ['/etc/nginx/nginx.conf', 2],
        ['/etc/nginx/conf.d/{pick:app|api|static}.conf', 2],
        ['/var/log/app/app-{date}.log', 6],
        ['/var/log/nginx/access.log', 3],
        ['/var/run/secrets/kubernetes.io/serviceaccount/namespace', 1],
        ['/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', 1],
        ['/srv/deploy/certs/server.crt', 1],
        ['/srv/deploy/releases/{hex8}/manifest.yaml', 2],
      ),
    ),
    http(
      'http_request',
      [
        'prometheus.corp.internal',
        'grafana.corp.internal',
        'alertmanager.corp.internal',
        SLACK,
        'api.pagerduty.com',
      ],
      1_200,
      40_000,
      150,
    ),
    http('kubectl', ['kubernetes.default.svc'], 600, 30_000, 120),
    fileTool(
      'list_dir',
      'list',
      files(['/var/log/app', 3], ['/srv/deploy/releases', 2], ['/var/backups/db', 1]),
    ),
    db(
      'db_admin',
      'postgres-prod.corp.internal',
      ['pg_stat_activity', 'orders', 'customers', 'audit_log'],
      [w('select', 85), w('update', 5), w('insert', 5), w('vacuum', 5)],
      50,
      120,
    ),
    download('artifact_download', ['artifacts.corp.internal', 'ghcr.io'], 40_000_000),
    upload('backup_upload', ['backup.s3.eu-central-1.amazonaws.com'], 120_000_000),
    fileTool(
      'write_file',
      'write',
      files(
        ['/srv/deploy/releases/{hex8}/manifest.yaml', 2],
        ['/var/backups/db/dt={date}/dump-part-{part}.sql.gz', 1],
      ),
    ),
  ],
  optional: [
    http('send_slack', [SLACK], 1_200, 300, 180),
    compute('terraform_plan', 45_000, [5, 120]),
    browser(
      'browse',
      ['kubernetes.io', 'docs.nginx.com', 'stackoverflow.com', 'status.aws.amazon.com'],
      0.15,
      0.04,
    ),
    compute('dns_lookup', 40, [1, 4]),
    http('pagerduty', ['api.pagerduty.com'], 900, 2_000, 300),
  ],
  secrets: [
    { path: '/etc/shadow', kind: 'shadow' },
    { path: '/etc/gshadow', kind: 'shadow' },
    { path: '/var/run/secrets/kubernetes.io/serviceaccount/token', kind: 'service-account-token' },
    { path: '/srv/deploy/certs/server.key', kind: 'key-file' },
  ],
  batch: {
    name: 'nightly-backup',
    startMinute: random.int(60, 240),
    calls: [100, 250],
    spanMinutes: [20, 40],
    steps: [
      { tool: 'db_admin', share: 35, actions: [w('select', 1)] },
      { tool: 'write_file', share: 35, files: ['/var/backups/db/dt={yesterday}/dump-part-{part}.sql.gz'] },
      { tool: 'backup_upload', share: 20 },
      { tool: 'list_dir', share: 10, files: ['/var/backups/db/dt={yesterday}'] },
    ],
  },
  steadyChance: 0.85,
  weekend: () => 0.3 + random.next() * 0.3,
  nightRate: 0.04,
});

const analyst: Role = (random) => {
  const home = '/home/analyst';
  const project = `${home}/${random.pick(['revenue-dash', 'churn-study', 'ops-metrics'])}`;
  const tables = random.shuffled(TABLES).slice(0, 5);
  const batch = random.chance(0.5);
  return {
    core: [
      db(
        'sql_query',
        'warehouse.corp.internal',
        tables,
        [w('select', 85), w('create', 5), w('insert', 5), w('update', 5)],
        5_000,
        1_200,
      ),
      fileTool(
        'read_file',
        'read',
        files(
          [`${project}/queries/{pick:weekly|monthly|cohorts|funnel|revenue}.sql`, 6],
          [`${project}/notebooks/{pick:explore|model|report}.ipynb`, 3],
          [`${project}/README.md`, 1],
          [`${project}/config.toml`, 1],
          ['/data/reports/{yyyy}/{mm}/report-{int:1000-9999}.csv', 4],
          [`${home}/.config/gcloud/active_config`, 1],
          [`${home}/.config/gcloud/configurations/config_default`, 1],
        ),
      ),
      compute('render_chart', 1_500, [1, 6]),
      fileTool(
        'write_file',
        'write',
        files(
          ['/data/reports/{yyyy}/{mm}/{date}/report-{hex8}.csv', 4],
          ['/data/out/dashboards/dt={date}/part-{part}.parquet', 2],
          [`${project}/notebooks/{pick:explore|model|report}.ipynb`, 1],
        ),
      ),
      http(
        'http_request',
        ['bi.corp.internal', 'api.exchangerate.host', SLACK, 'sheets.googleapis.com'],
        2_000,
        35_000,
      ),
      compute('notebook_exec', 8_000, [1, 30]),
      download('export_download', ['bi.corp.internal', 's3.eu-west-1.amazonaws.com'], 15_000_000),
    ],
    optional: [
      browser(
        'browse',
        ['docs.python.org', 'pandas.pydata.org', 'stackoverflow.com', 'en.wikipedia.org'],
        0.2,
        0.05,
      ),
      http('send_email', ['smtp.corp.internal'], 20_000, 400, 350),
      http('llm_complete', ['api.openai.com'], 8_000, 3_000, 3_000),
      fileTool('list_dir', 'list', files(['/data/reports/{yyyy}/{mm}', 2], [`${project}/queries`, 1])),
      shell('shell', [
        w('ls', 4),
        w('python analysis.py', 3),
        w('git status', 3),
        w('head -n 20 out.csv', 1),
      ]),
      upload('upload_report', ['bi.corp.internal'], 8_000_000),
    ],
    secrets: [
      { path: `${project}/.env`, kind: 'env-file' },
      { path: `${home}/.config/gcloud/application_default_credentials.json`, kind: 'cloud-credentials' },
      { path: `${home}/.config/gcloud/credentials.db`, kind: 'cloud-credentials' },
    ],
    ...(batch
      ? {
          batch: {
            name: 'report-refresh',
            startMinute: random.int(240, 330),
            calls: [80, 200] as const,
            spanMinutes: [15, 30] as const,
            steps: [
              { tool: 'sql_query', share: 45, actions: [w('select', 8), w('create', 1), w('insert', 1)] },
              {
                tool: 'write_file',
                share: 40,
                files: ['/data/out/dashboards/dt={yesterday}/part-{part}.parquet'],
              },
              { tool: 'render_chart', share: 15 },
            ],
          },
        }
      : {}),
    steadyChance: 0.3,
    weekend: () => (random.chance(0.75) ? 0 : 0.1),
    nightRate: 0.01,
  };
};

const ROLES: ReadonlyArray<[string, Role]> = [
  ['data-eng', dataEngineer],
  ['researcher', researcher],
  ['sre', sre],
  ['coder', coder],
  ['support', support],
  ['analyst', analyst],
];

/** The classic personas' zones, and two more. */
const ZONES = [...CLASSIC_ZONES, 'Asia/Kolkata', 'Australia/Sydney'];

/** Relative rate per local hour: ramp-up, lunch dip, a peak, a tail into the evening, quiet nights. */
function hourProfile(random: SimRandom, start: number, length: number, nightRate: number): number[] {
  const profile = Array.from({ length: 24 }, () => nightRate);
  const lunch = start + random.int(3, 5);
  const peak = start + (random.chance(0.5) ? random.int(1, 3) : random.int(5, length - 2));
  for (let i = -1; i < length + 3; i++) {
    const hour = (start + i + 24) % 24;
    let rate: number;
    if (i === -1) rate = 0.12;
    else if (i === 0) rate = 0.55;
    else if (i < length - 1) rate = 0.85 + random.next() * 0.15;
    else if (i === length - 1) rate = 0.6;
    else rate = [0.3, 0.12, 0.05][i - length]!;
    if (start + i === lunch) rate *= 0.55;
    if (Math.abs(start + i - peak) <= 1) rate *= 1.2;
    profile[hour] = Math.max(profile[hour]!, rate);
  }
  const max = Math.max(...profile);
  return profile.map((rate) => Math.round((rate / max) * 1000) / 1000);
}

function finishTool(spec: ToolSpec, weight: number): RealisticTool {
  return {
    ...spec,
    weight: Math.round(weight * 1000) / 1000,
    eventType: EVENT_TYPE[spec.kind],
    durationSigma: spec.durationSigma ?? DEFAULT_SIGMA[spec.kind],
    errorRate: spec.errorRate ?? (spec.kind === 'http' || spec.kind === 'download' ? 0.02 : 0.008),
    longCallShare: spec.longCallShare ?? 0.005,
    ...(spec.destinations ? { destinationWeights: zipfWeights(spec.destinations.length, 1.2) } : {}),
  };
}

/** The realistic persona of agent `index` (roles cycle: data engineer, researcher, SRE, coder, support, analyst). */
export function makeRealisticPersona(random: SimRandom, index: number): RealisticPersona {
  const [roleName, role] = ROLES[index % ROLES.length]!;
  const spec = role(random);
  const count = Math.min(
    spec.core.length + spec.optional.length,
    random.int(Math.max(8, spec.core.length), 15),
  );
  const optional = random.shuffled(spec.optional).slice(0, count - spec.core.length);
  // Core tools keep roughly their order of use (neighbours sometimes swap); optional ones follow.
  const core = [...spec.core];
  for (let i = 0; i + 1 < core.length; i++) {
    if (random.chance(0.3)) [core[i], core[i + 1]] = [core[i + 1]!, core[i]!];
  }
  const ranked = [...core, ...optional];
  const weights = zipfWeights(ranked.length, 0.9 + random.next() * 0.4);
  const tools = ranked.map((tool, i) => finishTool(tool, weights[i]! * 100));
  const start = random.int(7, 10);
  const length = random.int(8, 10);
  const weekendFactor = spec.weekend();
  const peak = random.int(12, 36);
  return {
    regime: 'realistic',
    agentId: `${roleName}-${String(index + 1).padStart(2, '0')}`,
    role: roleName,
    timeZone: random.pick(ZONES),
    hours: [start, Math.min(24, start + length)],
    weekdaysOnly: weekendFactor === 0,
    callsPerHour: peak,
    errorRate:
      tools.reduce((sum, t) => sum + t.errorRate * t.weight, 0) / tools.reduce((s, t) => s + t.weight, 0),
    tools,
    hourProfile: hourProfile(random, start, length, spec.nightRate),
    weekendFactor: Math.round(weekendFactor * 100) / 100,
    sessionStyle: random.chance(spec.steadyChance) ? 'steady' : 'bursty',
    ...(spec.batch ? { batch: spec.batch } : {}),
    secrets: spec.secrets,
  };
}
