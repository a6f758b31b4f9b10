import { HarombeError } from '@harombe/models';

/** The codes of the store's errors: one per subclass, and `STORE_IO` (a file could not be read). */
export type StoreErrorCode =
  | 'STORE_NOT_FOUND'
  | 'STORE_CORRUPT'
  | 'STORE_UNSUPPORTED_VERSION'
  | 'STORE_TAMPERED'
  | 'STORE_CONFIG'
  | 'STORE_IO';

/** Base class of the store's errors; `location` is the file (or key) concerned. */
export class StoreError extends HarombeError<StoreErrorCode> {
  constructor(
    code: StoreErrorCode,
    message: string,
    readonly location: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** No artifact of this kind for this agent. */
export class NotFoundError extends StoreError {
  constructor(agentId: string, kind: string, location?: string) {
    super('STORE_NOT_FOUND', `no ${kind} artifact for agent ${JSON.stringify(agentId)}`, location);
  }
}

/** The artifact is unreadable: not JSON, wrong shape, or not what was asked for. `reason` says what failed. */
export class CorruptError extends StoreError {
  constructor(
    readonly reason: string,
    location: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      'STORE_CORRUPT',
      `artifact ${location ?? ''} is corrupt: ${reason}`.replace('  ', ' '),
      location,
      options,
    );
  }
}

/** The artifact was written by another format version. */
export class UnsupportedVersionError extends StoreError {
  constructor(
    readonly version: unknown,
    location: string | undefined,
  ) {
    super(
      'STORE_UNSUPPORTED_VERSION',
      `artifact ${location ?? ''} has format version ${String(version)}; this release reads versions 1 and 2`,
      location,
    );
  }
}

/** The checksum or authentication failed: the artifact was modified, or the key is wrong. */
export class TamperedError extends StoreError {
  constructor(reason: string, location: string | undefined) {
    super('STORE_TAMPERED', `artifact ${location ?? ''} failed verification: ${reason}`, location);
  }
}

/** The store is misconfigured (bad key, missing key for an encrypted artifact, bad directory). */
export class StoreConfigError extends StoreError {
  constructor(message: string, location?: string) {
    super('STORE_CONFIG', message, location);
  }
}
