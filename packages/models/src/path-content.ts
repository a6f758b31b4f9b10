// What a path or a command says, beyond "where": the file's name and extension, the path with its
// variable parts (dates, numbers, hashes, ids, UUIDs) generalised into a template, and the verb of an
// action or command. Templates make recurring structure recur: `/data/out/dt=2026-05-04/part-00017.csv`
// and `/data/out/dt=2026-05-05/part-00003.csv` are one place, `/data/out/dt={date}/part-{n}.csv`.
import type { SecurityEvent } from './security-event.js';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** ISO-like dates and times (2026-05-04, 2026/05/04, 20260504, 2026-05-04T10:11:12Z). */
const DATE =
  /(?:19|20)\d\d[-_/.]?(?:0[1-9]|1[0-2])[-_/.]?(?:0[1-9]|[12]\d|3[01])(?:[T_ -]?\d\d[:-]?\d\d(?:[:-]?\d\d)?(?:\.\d+)?Z?)?/g;
/** Hex runs of 7+ characters with at least one digit (hashes, commit ids, container ids). */
const HASH = /\b(?=[0-9a-f]*\d)[0-9a-f]{7,}\b/gi;
/** Long letter-and-digit tokens (ids, tokens): 16+ characters mixing both. */
const TOKEN = /\b(?=[A-Za-z0-9_]*\d)(?=[A-Za-z0-9_]*[A-Za-z])[A-Za-z0-9_]{16,}\b/g;
const NUMBER = /\d+/g;

/** Whether the text holds a decimal digit (paths without one are their own template). */
function hasDigit(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

/**
 * The path with its variable parts generalised: UUIDs → `{uuid}`, dates → `{date}`, hex hashes →
 * `{hash}`, long mixed ids → `{id}`, other numbers → `{n}`. A path without digits is returned as is.
 * @example templatePath('/data/out/dt=2026-05-04/part-00017.parquet') // '/data/out/dt={date}/part-{n}.parquet'
 */
export function templatePath(path: string): string {
  if (!hasDigit(path)) return path;
  return path
    .replace(UUID, '{uuid}')
    .replace(DATE, '{date}')
    .replace(HASH, '{hash}')
    .replace(TOKEN, '{id}')
    .replace(NUMBER, '{n}');
}

/** Index of the last path separator (`/` or `\`), or -1. */
function lastSeparator(path: string): number {
  return Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
}

/** The directory part of a path (`/srv/data/a.csv` → `/srv/data`); `.` when there is none. */
export function directoryOf(path: string): string {
  const slash = lastSeparator(path);
  if (slash < 0) return '.';
  return slash === 0 ? path.slice(0, 1) : path.slice(0, slash);
}

/** The file name of a path (`/srv/data/a.csv` → `a.csv`). */
export function fileNameOf(path: string): string {
  return path.slice(lastSeparator(path) + 1);
}

/**
 * The extension of a file name, lower-cased, without the dot (`a.tar.gz` → `gz`); `''` when there is
 * none. A leading dot names a file, not an extension (`.env` has none).
 */
export function extensionOf(path: string): string {
  const name = fileNameOf(path);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}

/** Metadata keys read, in this order, for the command or query of an event that gives no `action`. */
const COMMAND_KEYS = ['command', 'query', 'sql', 'statement', 'cmd'] as const;
const VERB = /^[\s(]*([A-Za-z/.][A-Za-z0-9_./-]*)(?:\s+([a-z][a-z0-9_-]*))?/;
/** Programs whose first argument is the real verb (`git push`, `kubectl delete`). */
const SUBCOMMAND_PROGRAMS = new Set([
  'git',
  'kubectl',
  'docker',
  'npm',
  'pnpm',
  'aws',
  'gcloud',
  'az',
  'helm',
]);

/**
 * The verb of an event's action or command, lower-cased: the first word of `action`, else of a
 * `command`/`query`/`sql`/`statement`/`cmd` string in its metadata (`DROP TABLE users` → `drop`;
 * for git, kubectl, docker and the like, the subcommand too: `git push`); `undefined` when none.
 */
export function verbOf(event: Pick<SecurityEvent, 'action' | 'metadata'>): string | undefined {
  let text = event.action;
  if (text === undefined) {
    const metadata = event.metadata;
    for (const key of COMMAND_KEYS) {
      const value = metadata[key];
      if (typeof value === 'string') {
        text = value;
        break;
      }
    }
    if (text === undefined) return undefined;
  }
  const match = VERB.exec(text.length > 200 ? text.slice(0, 200) : text);
  if (!match) return undefined;
  const verb = match[1]!.toLowerCase();
  const program = verb.slice(verb.lastIndexOf('/') + 1);
  return match[2] !== undefined && SUBCOMMAND_PROGRAMS.has(program) ? `${program} ${match[2]}` : verb;
}

/** The destination an event contacts: its domain, else its IP. */
export function destinationOf(
  event: Pick<SecurityEvent, 'destinationDomain' | 'destinationIp'>,
): string | undefined {
  return event.destinationDomain ?? event.destinationIp;
}
