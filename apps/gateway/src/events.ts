// From an MCP tool call to the SecurityEvent the detector assesses: what is known before the call
// (time, tool, file path, destination host), then the same event completed with its outcome.
import { createHash } from 'node:crypto';
import { DEFAULT_EVENT_LIMITS, type SecurityEventInput, safeParseSecurityEvent } from '@harombe/security-ml';
import type { EventConfig } from './config.js';

/** Who made the call and where it came from. */
export interface CallContext {
  readonly agentId: string;
  readonly sessionId?: string;
  readonly eventId: string;
}

/** How the call went, as the gateway saw it. */
export interface CallOutcome {
  readonly durationMs: number;
  readonly success: boolean;
}

/**
 * Where a URL argument points, in a form the event schema accepts. A host the schema would reject
 * (`http://x!y/`) is `unparseable`: the call is still assessed, with that host as a destination of
 * its own, because agent-controlled text must never make detection fail (and fail open).
 */
export type Destination =
  | { readonly kind: 'domain'; readonly host: string }
  | { readonly kind: 'ip'; readonly host: string }
  | { readonly kind: 'unparseable'; readonly host: string };

/** Metadata key under which an event keeps the raw host of an unparseable destination. */
export const UNPARSEABLE_DESTINATION_KEY = 'unparseable_destination';

/** Paths longer than the event schema takes are cut to its limit rather than rejected. */
const MAX_TEXT = DEFAULT_EVENT_LIMITS.maxPathLength;

function stringArgument(args: Record<string, unknown>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = args[name];
    if (typeof value === 'string' && value.length > 0) return value.slice(0, MAX_TEXT);
  }
  return undefined;
}

/** `scheme://authority` or `//authority`: the text names a host even when it is not a valid URL. */
const AUTHORITY = /^(?:[a-z][a-z0-9+.-]*:)?\/\/([^/?#\\]*)/i;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function parsedHost(url: string): string | undefined {
  try {
    const host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
    return host.length > 0 ? host : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the event schema takes `host` in `field`: the schema is the one authority on hosts. */
function schemaAccepts(field: 'destination_domain' | 'destination_ip', host: string): boolean {
  return safeParseSecurityEvent({ timestamp: 0, event_type: 'destination', [field]: host }).success;
}

/**
 * Where a URL argument points: its host as a domain or an IP, or `unparseable` when the text names
 * a host (it has an authority, `scheme://...` or `//...`) that is not a valid domain or address.
 * Undefined when it names no host at all (`not a url`, `mailto:a@b.c`, `file:///x`, a relative path).
 */
export function destinationOf(url: string): Destination | undefined {
  // A scheme-relative URL (`//host/x`) reaches that host through clients that assume http.
  const host = parsedHost(url) ?? (url.startsWith('//') ? parsedHost(`http:${url}`) : undefined);
  if (host !== undefined) {
    const kind = IPV4.test(host) || host.includes(':') ? 'ip' : 'domain';
    if (schemaAccepts(kind === 'ip' ? 'destination_ip' : 'destination_domain', host)) return { kind, host };
    return { kind: 'unparseable', host };
  }
  const authority = AUTHORITY.exec(url)?.[1];
  // The host part of an authority that the URL parser refused (`http://x y/`, a port out of range).
  const named = authority?.slice(authority.lastIndexOf('@') + 1).toLowerCase();
  return named ? { kind: 'unparseable', host: named } : undefined;
}

/**
 * The destination recorded for a host that cannot be parsed: a name under the reserved `.invalid`
 * top-level domain (never a real host), one per raw host, so the detector sees each as a value this
 * agent has never contacted, and an attacker cannot make one learned value cover the others.
 */
export function unparseableDestination(host: string): string {
  return `unparseable-${createHash('sha256').update(host).digest('hex').slice(0, 16)}.invalid`;
}

/** The event for a tool call about to be forwarded. `timestamp` comes from the gateway's clock. */
export function toolCallEvent(
  tool: string,
  args: Record<string, unknown>,
  context: CallContext,
  timestamp: Date,
  config: EventConfig,
): SecurityEventInput {
  const mapping = config.tools[tool];
  const event: SecurityEventInput = {
    timestamp,
    event_type: mapping?.eventType ?? 'tool_call',
    tool_name: tool,
    agent_id: context.agentId,
    event_id: context.eventId,
  };
  if (context.sessionId) event.session_id = context.sessionId;
  const path = stringArgument(args, config.pathArguments);
  if (path !== undefined) {
    // A trailing slash makes a directory its own location ("logs" is read as "logs/"); a path at the
    // length limit gives up its last character for it, so the event stays valid.
    event.file_path =
      mapping?.pathKind === 'directory' && !/[/\\]$/.test(path) ? `${path.slice(0, MAX_TEXT - 1)}/` : path;
  }
  const url = stringArgument(args, config.urlArguments);
  const destination = url === undefined ? undefined : destinationOf(url);
  if (destination?.kind === 'ip') event.destination_ip = destination.host;
  else if (destination?.kind === 'domain') event.destination_domain = destination.host;
  else if (destination?.kind === 'unparseable') {
    event.destination_domain = unparseableDestination(destination.host);
    // The raw host stays with the event for logs and audits, which see what was really asked for.
    event.metadata = { [UNPARSEABLE_DESTINATION_KEY]: destination.host };
  }
  return event;
}

/** The same event with what the call did: its duration and whether it succeeded. */
export function completedEvent(event: SecurityEventInput, outcome: CallOutcome): SecurityEventInput {
  return {
    ...event,
    duration_ms: outcome.durationMs,
    success: outcome.success,
    status: outcome.success ? 'success' : 'failure',
  };
}
