// The storage port. Detectors save and load artifacts through it; @harombe/persistence implements
// it on files, and anyone can implement it on their own storage.
import { z } from 'zod';

/** Artifact kinds are short lower-case names, e.g. `detector`, `baseline`, `forest`. */
export const ArtifactKindSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9-]*$/, 'expected a lower-case kind such as "detector"');
export type ArtifactKind = z.infer<typeof ArtifactKindSchema>;

/** Where an artifact lives and what it is. */
export interface ArtifactRef {
  readonly agentId: string;
  readonly kind: ArtifactKind;
  /** Store-specific location (a file path for file stores). */
  readonly location: string;
}

/**
 * Saves and loads JSON artifacts by agent id and kind. Implementations must accept any agent id
 * safely (ids never become paths) and make each save atomic.
 */
export interface ModelStore {
  /** Stores `body` (JSON-safe) as the current artifact of this agent and kind. */
  save(agentId: string, kind: ArtifactKind, body: unknown): Promise<ArtifactRef>;
  /** Loads the current artifact; throws a not-found error when there is none. */
  load(agentId: string, kind: ArtifactKind): Promise<unknown>;
  /** Whether an artifact exists. */
  has(agentId: string, kind: ArtifactKind): Promise<boolean>;
  /** Every stored artifact, optionally of one kind, with the original agent ids. */
  list(kind?: ArtifactKind): Promise<ArtifactRef[]>;
  /** Removes an artifact; resolves `false` when there was none. */
  delete(agentId: string, kind: ArtifactKind): Promise<boolean>;
}
