// What the multi-node log holds per agent: one entry per answered call (the event as assessed,
// whether the detector assessed it, what it recorded, the decision and the answer), and checkpoint
// markers. An agent's state is the fold of its entries, in order, over its first stored model:
// `CallGuard.replay` for a call, a re-import of the exported model for a checkpoint.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/** An event as JSON (the detector validates it when it is replayed). */
const EventJsonSchema = z.record(z.string(), z.unknown());

/** A call the gateway answered, as committed before the answer. */
export const CallEntrySchema = z
  .object({
    type: z.literal('call'),
    /** The event as assessed before the call. */
    event: EventJsonSchema,
    /** Gateway time of the call, epoch ms. */
    nowMs: z.number(),
    /** Whether the detector assessed it against the agent's own state (replay repeats that). */
    assessed: z.boolean(),
    /** What the call recorded into the agent's state: its completed event, learned or not. */
    recorded: z.object({ completed: EventJsonSchema, learn: z.boolean() }).strict().nullable(),
    eventId: z.string(),
    tool: z.string(),
    upstream: z.string(),
    decision: z.enum(['allow', 'deny', 'throttle']),
    /** The response with its reasons (`CallResponse`). */
    response: z.record(z.string(), z.unknown()),
    outcome: z.enum(['success', 'tool-error', 'upstream-error', 'not-forwarded']),
    threatLevel: z.string().optional(),
    threatScore: z.number().optional(),
    isThreat: z.boolean().optional(),
    /** Entries of other replicas this replica folded in before its append won (0: decided on current state). */
    staleBy: z.number().int().min(0),
    /** The answer as sent (returned again to a retry with the same key); `null` when too large to keep. */
    answer: z.record(z.string(), z.unknown()).nullable(),
  })
  .strict();

/** A checkpoint: the model was exported here (and saved with this position as its watermark). */
export const CheckpointEntrySchema = z.object({ type: z.literal('checkpoint') }).strict();

export const LogPayloadSchema = z.discriminatedUnion('type', [CallEntrySchema, CheckpointEntrySchema]);

export type CallEntry = z.output<typeof CallEntrySchema>;
export type LogPayload = z.output<typeof LogPayloadSchema>;

/** Answers bigger than this (as JSON) are not kept in the log; a retry then gets a generic answer. */
export const MAX_KEPT_ANSWER_CHARS = 65_536;

/** The answer as the log keeps it: itself, or `null` when its JSON exceeds {@link MAX_KEPT_ANSWER_CHARS}. */
export function keptAnswer(answer: CallToolResult): Record<string, unknown> | null {
  return JSON.stringify(answer).length <= MAX_KEPT_ANSWER_CHARS ? (answer as Record<string, unknown>) : null;
}

/** The log key of a call: its idempotency key when the client sent one, else its event id. */
export function callKey(idempotencyKey: string | undefined, eventId: string): string {
  return idempotencyKey === undefined ? `event:${eventId}` : `call:${idempotencyKey}`;
}

/** The log key of the checkpoint marker at `position` (one per position). */
export function checkpointKey(position: number): string {
  return `checkpoint:${position}`;
}
