// One line of `detect --format jsonl`: the verdict with the event's context (what `report --results`
// reads back, checked with the schema below).
import type { LoggedEvent } from '@harombe/event-log';
import { THREAT_LEVELS, type ThreatAssessment } from '@harombe/security-ml';
import { z } from 'zod';

export const DetectResultSchema = z.object({
  /** The event's line in the input (results come in event time, not in file order). */
  line: z.number().int().min(1),
  agentId: z.string().min(1),
  timestamp: z.iso.datetime({ offset: true }),
  eventType: z.string(),
  eventId: z.string().optional(),
  sessionId: z.string().optional(),
  toolName: z.string().optional(),
  action: z.string().optional(),
  /** The destination domain, else IP. */
  destination: z.string().optional(),
  filePath: z.string().optional(),
  threatScore: z.number().min(0).max(1),
  tailProbability: z.number().min(0).max(1),
  isThreat: z.boolean(),
  threatLevel: z.enum(THREAT_LEVELS),
  coldStart: z.boolean(),
  /** `late`: older than events of its agent already assessed (a stream's reorder window missed it). */
  eventTime: z.enum(['current', 'late', 'ahead']),
  /** The input's `label`, when it had one (simulated or labelled data). */
  label: z.string().optional(),
  explanation: z.string(),
  /** The incident an alert joined or opened (alerts only). */
  incidentId: z.string().optional(),
  /** The campaign (several agents, one unusual thing) the event is part of, if any. */
  campaignId: z.string().optional(),
});
export type DetectResult = z.infer<typeof DetectResultSchema>;

/** The result line of an assessed event. */
export function resultOf({ line, agentId, label }: LoggedEvent, a: ThreatAssessment): DetectResult {
  // The event's context as the assessment carries it (fields absent from the event left out).
  const { eventId, eventType, sessionId, tool, action, destination, path } = a.context;
  return {
    line,
    agentId,
    timestamp: a.timestamp.toISOString(),
    eventType,
    ...(eventId === undefined ? {} : { eventId }),
    ...(sessionId === undefined ? {} : { sessionId }),
    ...(tool === undefined ? {} : { toolName: tool }),
    ...(action === undefined ? {} : { action }),
    ...(destination === undefined ? {} : { destination }),
    ...(path === undefined ? {} : { filePath: path }),
    threatScore: a.threatScore,
    tailProbability: a.tailProbability,
    isThreat: a.isThreat,
    threatLevel: a.threatLevel,
    coldStart: a.coldStart,
    eventTime: a.eventTime,
    ...(label === undefined ? {} : { label }),
    explanation: a.explanation,
    ...(a.incident === null ? {} : { incidentId: a.incident.id }),
    ...(a.campaign === null ? {} : { campaignId: a.campaign.id }),
  };
}
