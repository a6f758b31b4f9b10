import { HarombeError } from '@harombe/models';

/**
 * The codes of this package's own errors. Bad input is a `ValidationError` (`VALIDATION_FAILED`,
 * from `@harombe/models`); unreadable or forged artifacts are `@harombe/persistence`'s store errors
 * (`STORE_NOT_FOUND`, `STORE_CORRUPT`, `STORE_TAMPERED`, ...), exactly as with `FileModelStore`.
 */
export type PostgresStoreErrorCode = 'STORE_VERSION_CONFLICT' | 'LOG_HEAD_CONFLICT';

/**
 * An optimistic save lost: the artifact is no longer at the version the writer read. Reload
 * (`loadVersioned`), fold in what changed, and save again with the version just read.
 */
export class VersionConflictError extends HarombeError<'STORE_VERSION_CONFLICT'> {
  constructor(
    readonly agentId: string,
    readonly kind: string,
    /** The version the save expected; `null`: it expected no artifact. */
    readonly expectedVersion: number | null,
    /** The version stored now; `null`: there is no artifact (it was deleted). */
    readonly actualVersion: number | null,
  ) {
    super(
      'STORE_VERSION_CONFLICT',
      `${kind} of agent ${JSON.stringify(agentId)}: the save expected ${describeVersion(expectedVersion)}, the store holds ${describeVersion(actualVersion)} (another writer saved; reload and retry)`,
    );
  }
}

function describeVersion(version: number | null): string {
  return version === null ? 'no artifact' : `version ${version}`;
}

/**
 * An append lost the compare-and-set on the agent's head: another writer appended since the
 * writer's last known position. Read the entries after `expectedHead` (they end at `head`), fold
 * them in, and append again with `expectedHead = head`.
 */
export class HeadConflictError extends HarombeError<'LOG_HEAD_CONFLICT'> {
  constructor(
    readonly agentId: string,
    /** The head the append expected. */
    readonly expectedHead: number,
    /** The agent's head now (the last position written). */
    readonly head: number,
  ) {
    super(
      'LOG_HEAD_CONFLICT',
      `agent ${JSON.stringify(agentId)}: the append expected the log at position ${expectedHead}, it is at ${head} (another writer appended; read the entries after ${expectedHead} and retry)`,
    );
  }
}
