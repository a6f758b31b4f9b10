// PostgresModelStore: the ModelStore port on one PostgreSQL table, one row per (agent, kind), with
// optimistic versions. The row holds the sealed artifact exactly as FileModelStore writes a file
// (@harombe/persistence's envelope: SHA-256, optional AES-256-GCM), so the database sees opaque bytes.
// Inside the sealed body sit the version and the watermark next to the artifact, so they are
// covered by the checksum and the authentication tag: a row whose bytes are an older (valid)
// artifact no longer matches its version column, and loading it fails as tampered.
import {
  type ArtifactKind,
  ArtifactKindSchema,
  type ArtifactRef,
  type ModelStore,
  parseAgentId,
  parseOrThrow,
} from '@harombe/models';
import {
  type Compression,
  CorruptError,
  NotFoundError,
  openArtifact,
  resolveKey,
  sealArtifact,
  TamperedError,
} from '@harombe/persistence';
import { z } from 'zod';
import { VersionConflictError } from './errors.js';
import {
  type ConnectionOptions,
  ConnectionOptionsShape,
  IdentifierSchema,
  migrateTables,
  openPool,
  PositionSchema,
  qualifiedName,
  type SqlPool,
  toSafeInteger,
} from './sql.js';

/** The default table of {@link PostgresModelStore}. */
export const DEFAULT_ARTIFACT_TABLE = 'model_artifacts';

export interface PostgresModelStoreOptions extends ConnectionOptions {
  /** The table of the artifacts. Default `model_artifacts`. */
  table?: string;
  /**
   * AES-256-GCM key: 32 bytes, or base64 text of 32 bytes. `undefined` (default) reads
   * `HAROMBE_MODEL_KEY`; `null` turns encryption off even if that is set.
   */
  key?: Uint8Array | string | null;
  /** Compression of bodies before (optional) encryption. Default `'brotli'`. */
  compression?: Compression;
  /** With a key, also load plaintext artifacts (to migrate them). Default `false`: refused as tampered. */
  allowPlaintext?: boolean;
  /** Who saves (a replica's name), stored in `saved_by`. Default `null`. */
  writer?: string | null;
  /** Source of `createdAt` in headers. Default `() => new Date()`. */
  now?: () => Date;
}

const OptionsSchema = z
  .object({
    ...ConnectionOptionsShape,
    table: IdentifierSchema.optional(),
    key: z.union([z.instanceof(Uint8Array), z.string(), z.null()]).optional(),
    compression: z.enum(['none', 'brotli', 'gzip']).optional(),
    allowPlaintext: z.boolean().optional(),
    writer: z.string().max(200).nullable().optional(),
    now: z.custom<() => Date>((value) => typeof value === 'function', 'expected a function').optional(),
  })
  .strict();

/** A stored artifact with its version and watermark, as {@link PostgresModelStore.loadVersioned} returns it. */
export interface VersionedArtifact {
  readonly agentId: string;
  readonly kind: ArtifactKind;
  readonly body: unknown;
  /** 1 for the first save, one more for each save after it. */
  readonly version: number;
  /** The log position the artifact reflects, as the saver said; `null` when not given. */
  readonly watermark: number | null;
  readonly location: string;
}

/** Where a versioned save went: the port's {@link ArtifactRef} plus the version and watermark written. */
export interface VersionedArtifactRef extends ArtifactRef {
  readonly version: number;
  readonly watermark: number | null;
}

export interface SaveIfVersionOptions {
  /**
   * The version the writer loaded (and changed): the save succeeds only if the store still holds it.
   * `null`: the writer expects no artifact (a first save). Otherwise `VersionConflictError`.
   */
  expectedVersion: number | null;
  /** The log position this artifact reflects (replay starts after it). Default `null`. */
  watermark?: number | null;
}

const SaveIfVersionSchema = z
  .object({
    expectedVersion: PositionSchema.nullable(),
    watermark: PositionSchema.nullable().optional(),
  })
  .strict();

/** What is sealed: the artifact and, authenticated with it, its place in the history. */
const SEALED_FORMAT = 'harombe.versioned-artifact';
const SealedSchema = z
  .object({
    format: z.literal(SEALED_FORMAT),
    version: PositionSchema.min(1),
    watermark: PositionSchema.nullable(),
    body: z.unknown(),
  })
  .strict();

/** How often an unconditional `save` retries after losing a race before it gives up. */
const SAVE_ATTEMPTS = 8;

/**
 * The `ModelStore` port on PostgreSQL, plus optimistic versions. `save`, `load`, `has`, `list` and
 * `delete` behave as `FileModelStore`'s (same envelope, same errors); `saveIfVersion` and
 * `loadVersioned` add the version and the watermark. Call `migrate()` once before first use.
 */
export class PostgresModelStore implements ModelStore {
  /** The table, quoted and schema-qualified as it appears in SQL. */
  readonly table: string;
  private readonly pool: SqlPool;
  private readonly ownsPool: boolean;
  private readonly schema: string | undefined;
  private readonly tableName: string;
  private readonly key: Buffer | undefined;
  private readonly compression: Compression;
  private readonly allowPlaintext: boolean;
  private readonly writer: string | null;
  private readonly now: () => Date;

  constructor(input: PostgresModelStoreOptions) {
    const options = parseOrThrow(
      OptionsSchema,
      input,
      'PostgresModelStore options',
    ) as PostgresModelStoreOptions;
    ({ pool: this.pool, owned: this.ownsPool } = openPool(options, 'PostgresModelStore'));
    this.schema = options.schema;
    this.tableName = options.table ?? DEFAULT_ARTIFACT_TABLE;
    this.table = qualifiedName(this.schema, this.tableName);
    this.key = resolveKey(options.key);
    this.compression = options.compression ?? 'brotli';
    this.allowPlaintext = options.allowPlaintext ?? false;
    this.writer = options.writer ?? null;
    this.now = options.now ?? (() => new Date());
  }

  /** Whether artifacts are encrypted at rest. */
  get encrypted(): boolean {
    return this.key !== undefined;
  }

  /** Creates the schema (when configured) and the table if missing. Idempotent; replicas may all run it at start-up. */
  async migrate(): Promise<void> {
    await migrateTables(this.pool, this.schema, [
      `CREATE TABLE IF NOT EXISTS ${this.table} (
        agent_id text NOT NULL,
        kind text NOT NULL,
        version bigint NOT NULL CHECK (version >= 1),
        watermark bigint CHECK (watermark >= 0),
        sealed bytea NOT NULL,
        saved_by text,
        saved_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agent_id, kind)
      )`,
      // Sealed bodies are compressed (or encrypted): compressing them again only costs time.
      `ALTER TABLE ${this.table} ALTER COLUMN sealed SET STORAGE EXTERNAL`,
    ]);
  }

  /**
   * Stores `body` as the current artifact, whatever version is stored (last writer wins), as the
   * port defines `save`. The watermark becomes `null` (unknown). For the optimistic path use
   * {@link saveIfVersion}.
   * @throws {VersionConflictError} only after losing the race to other writers 8 times in a row.
   */
  async save(agentId: string, kind: ArtifactKind, body: unknown): Promise<VersionedArtifactRef> {
    const id = parseAgentId(agentId);
    const k = parseOrThrow(ArtifactKindSchema, kind, 'kind');
    for (let attempt = 1; ; attempt++) {
      const current = await this.currentVersion(id, k);
      try {
        return await this.write(id, k, body, current, null);
      } catch (error) {
        if (!(error instanceof VersionConflictError) || attempt >= SAVE_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Stores `body` only if the artifact is still at `expectedVersion` (`null`: there is none), as
   * version `expectedVersion + 1` (or 1) with `watermark`. Atomic: of two writers that loaded the
   * same version, exactly one succeeds.
   * @throws {VersionConflictError} when the stored version is not `expectedVersion`.
   * @throws {ValidationError} for a bad agent id, kind or options.
   * @throws {CorruptError} when `body` is not JSON-serializable.
   */
  async saveIfVersion(
    agentId: string,
    kind: ArtifactKind,
    body: unknown,
    options: SaveIfVersionOptions,
  ): Promise<VersionedArtifactRef> {
    const id = parseAgentId(agentId);
    const k = parseOrThrow(ArtifactKindSchema, kind, 'kind');
    const { expectedVersion, watermark } = parseOrThrow(
      SaveIfVersionSchema,
      options,
      'saveIfVersion options',
    );
    return this.write(id, k, body, expectedVersion, watermark ?? null);
  }

  /** Loads the current artifact. @throws {NotFoundError | CorruptError | TamperedError | UnsupportedVersionError | StoreConfigError} */
  async load(agentId: string, kind: ArtifactKind): Promise<unknown> {
    return (await this.loadVersioned(agentId, kind)).body;
  }

  /**
   * Loads the current artifact with its version and watermark, verified: the sealed version and
   * watermark must equal the row's, so an older artifact copied into the row fails as tampered.
   * @throws {NotFoundError} when there is none; {@link load}'s other errors when it does not verify.
   */
  async loadVersioned(agentId: string, kind: ArtifactKind): Promise<VersionedArtifact> {
    const id = parseAgentId(agentId);
    const k = parseOrThrow(ArtifactKindSchema, kind, 'kind');
    const location = this.location(id, k);
    const { rows } = await this.pool.query(
      `SELECT version, watermark, sealed FROM ${this.table} WHERE agent_id = $1 AND kind = $2`,
      [id, k],
    );
    const row = rows[0];
    if (!row) throw new NotFoundError(id, k, location);
    const version = toSafeInteger(row.version, 'version');
    const watermark = row.watermark === null ? null : toSafeInteger(row.watermark, 'watermark');
    if (!Buffer.isBuffer(row.sealed)) throw new CorruptError('column sealed is not bytea', location);
    const opened = await openArtifact(row.sealed, {
      location,
      key: this.key,
      allowPlaintext: this.allowPlaintext,
      expect: { agentId: id, kind: k },
    });
    const sealed = SealedSchema.safeParse(opened.body);
    if (!sealed.success) {
      throw new CorruptError('not a versioned artifact (written by another store?)', location);
    }
    if (sealed.data.version !== version || sealed.data.watermark !== watermark) {
      throw new TamperedError(
        `the row says version ${version} (watermark ${watermark}), the sealed artifact version ${sealed.data.version} (watermark ${sealed.data.watermark}): an older artifact was put in its place`,
        location,
      );
    }
    return { agentId: id, kind: k, body: sealed.data.body, version, watermark, location };
  }

  /** The stored version, without loading the artifact; `null` when there is none. */
  async currentVersion(agentId: string, kind: ArtifactKind): Promise<number | null> {
    const id = parseAgentId(agentId);
    const k = parseOrThrow(ArtifactKindSchema, kind, 'kind');
    const { rows } = await this.pool.query(
      `SELECT version FROM ${this.table} WHERE agent_id = $1 AND kind = $2`,
      [id, k],
    );
    return rows[0] ? toSafeInteger(rows[0].version, 'version') : null;
  }

  async has(agentId: string, kind: ArtifactKind): Promise<boolean> {
    return (await this.currentVersion(agentId, kind)) !== null;
  }

  /** Every artifact (optionally of one kind), ordered by agent id then kind. */
  async list(kind?: ArtifactKind): Promise<ArtifactRef[]> {
    const k = kind === undefined ? null : parseOrThrow(ArtifactKindSchema, kind, 'kind');
    const { rows } = await this.pool.query(
      `SELECT agent_id, kind FROM ${this.table} WHERE $1::text IS NULL OR kind = $1 ORDER BY agent_id, kind`,
      [k],
    );
    return rows.map((row) => {
      const agentId = String(row.agent_id);
      const rowKind = String(row.kind);
      return { agentId, kind: rowKind, location: this.location(agentId, rowKind) };
    });
  }

  /** Removes an artifact; `false` when there was none. A later first save starts again at version 1. */
  async delete(agentId: string, kind: ArtifactKind): Promise<boolean> {
    const id = parseAgentId(agentId);
    const k = parseOrThrow(ArtifactKindSchema, kind, 'kind');
    const { rowCount } = await this.pool.query(
      `DELETE FROM ${this.table} WHERE agent_id = $1 AND kind = $2`,
      [id, k],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Ends the pool if the store opened it (from `connectionString`); a given pool is left open. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }

  /** Seals and writes version `expected + 1` (or 1) if the row is at `expected`; conflict otherwise. */
  private async write(
    agentId: string,
    kind: string,
    body: unknown,
    expected: number | null,
    watermark: number | null,
  ): Promise<VersionedArtifactRef> {
    const version = (expected ?? 0) + 1;
    const sealed = await sealArtifact(
      { format: SEALED_FORMAT, version, watermark, body },
      { agentId, kind, createdAt: this.now(), key: this.key, compression: this.compression },
    );
    const values = [agentId, kind, version, watermark, sealed, this.writer];
    // Under Read Committed, a concurrent UPDATE waits for the first writer and re-checks the
    // version on the row it committed, so two writers can never both move from `expected`.
    const { rowCount } =
      expected === null
        ? await this.pool.query(
            `INSERT INTO ${this.table} (agent_id, kind, version, watermark, sealed, saved_by)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (agent_id, kind) DO NOTHING`,
            values,
          )
        : await this.pool.query(
            `UPDATE ${this.table} SET version = $3, watermark = $4, sealed = $5, saved_by = $6, saved_at = now()
             WHERE agent_id = $1 AND kind = $2 AND version = $3 - 1`,
            values,
          );
    if (rowCount !== 1) {
      throw new VersionConflictError(agentId, kind, expected, await this.currentVersion(agentId, kind));
    }
    return { agentId, kind, location: this.location(agentId, kind), version, watermark };
  }

  private location(agentId: string, kind: string): string {
    const schema = this.schema === undefined ? '' : `${this.schema}.`;
    return `postgres:${schema}${this.tableName}/${kind}/${encodeURIComponent(agentId)}`;
  }
}
