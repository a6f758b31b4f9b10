// FileModelStore: artifacts as files in one directory. File names come from a SHA-256 of the agent
// id (the id itself is inside the file), so no id can traverse, collide or hit a reserved name.
// Writes are atomic and durable: temp file in the same directory, fsync, rename, fsync directory.
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, open as openFile, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type ArtifactKind,
  ArtifactKindSchema,
  type ArtifactRef,
  type ModelStore,
  parseAgentId,
  parseOrThrow,
} from '@harombe/models';
import { z } from 'zod';
import { type Compression, HEADER_BYTES, holdsHeader, open, readHeader, seal } from './envelope.js';
import { CorruptError, NotFoundError, StoreError } from './errors.js';
import { resolveKey } from './key.js';

/** Where models live by default: `~/.harombe/models`. */
export function defaultModelDirectory(): string {
  return join(homedir(), '.harombe', 'models');
}

export interface FileModelStoreOptions {
  /** Directory of the artifacts, created 0700 if missing. Default `~/.harombe/models`. */
  directory?: string;
  /**
   * AES-256-GCM key: 32 bytes, or base64 text of 32 bytes. `undefined` (default) reads
   * `HAROMBE_MODEL_KEY`; `null` turns encryption off even if that is set.
   */
  key?: Uint8Array | string | null;
  /**
   * Compression of bodies before (optional) encryption: `'brotli'` (default; a model shrinks to about
   * half), `'gzip'` (readable with standard tools), or `'none'` (the body is plain JSON text).
   */
  compression?: Compression;
  /** @deprecated Use `compression`. `true` means `'gzip'`, `false` means `'none'`. */
  gzip?: boolean;
  /** With a key, also load plaintext artifacts (to migrate them). Default `false`: refused as tampered. */
  allowPlaintext?: boolean;
  /** fsync files and the directory on save (durability). Default `true`. */
  durable?: boolean;
  /** Source of `createdAt` in headers. Default `() => new Date()`. */
  now?: () => Date;
}

const OptionsSchema = z
  .object({
    directory: z.string().min(1).optional(),
    key: z.union([z.instanceof(Uint8Array), z.string(), z.null()]).optional(),
    compression: z.enum(['none', 'brotli', 'gzip']).optional(),
    gzip: z.boolean().optional(),
    allowPlaintext: z.boolean().optional(),
    durable: z.boolean().optional(),
    now: z.custom<() => Date>((value) => typeof value === 'function', 'expected a function').optional(),
  })
  .strict();

const SUFFIX = '.json';

function fileName(agentId: string, kind: ArtifactKind): string {
  const hash = createHash('sha256').update(agentId, 'utf8').digest('hex');
  return `${hash}.${kind}${SUFFIX}`;
}

/**
 * A save's temp file: hidden, named after the artifact, the writer's pid and 6 random bytes. Only
 * names of this shape are ever removed as stale, so nothing else in the directory is touched.
 */
function tempName(artifact: string): string {
  return `.${artifact}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}
const TEMP_NAME = /^\.[0-9a-f]{64}\.[a-z][a-z0-9-]*\.json\.[0-9]+\.[0-9a-f]{12}\.tmp$/;

/**
 * Temp files older than this are left by killed saves, and removed when a store is first used. Age,
 * not the pid in the name, decides: a save in another process (or container, with its own pids, or
 * on another host sharing the directory) renames its temp file within seconds, and a pid cannot be
 * checked across those boundaries. Ten minutes also tolerates modest clock skew on network storage.
 */
const STALE_TEMP_MS = 10 * 60_000;

/** Temp files of saves in flight in this process (any store), never removed by a cleanup. */
const inFlight = new Set<string>();

function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

export class FileModelStore implements ModelStore {
  readonly directory: string;
  private readonly key: Buffer | undefined;
  private readonly compression: Compression;
  private readonly allowPlaintext: boolean;
  private readonly durable: boolean;
  private readonly now: () => Date;
  private ready: Promise<void> | undefined;
  private opened: Promise<void> | undefined;

  constructor(input: FileModelStoreOptions = {}) {
    const options = parseOrThrow(OptionsSchema, input, 'FileModelStore options') as FileModelStoreOptions;
    this.directory = resolve(options.directory ?? defaultModelDirectory());
    this.key = resolveKey(options.key);
    this.compression =
      options.compression ?? (options.gzip === undefined ? 'brotli' : options.gzip ? 'gzip' : 'none');
    this.allowPlaintext = options.allowPlaintext ?? false;
    this.durable = options.durable ?? true;
    this.now = options.now ?? (() => new Date());
  }

  /** Whether artifacts are encrypted at rest. */
  get encrypted(): boolean {
    return this.key !== undefined;
  }

  async save(agentId: string, kind: ArtifactKind, body: unknown): Promise<ArtifactRef> {
    const id = parseAgentId(agentId);
    const k = parseOrThrow(ArtifactKindSchema, kind, 'kind');
    await this.open();
    const bytes = await seal(body, {
      agentId: id,
      kind: k,
      createdAt: this.now(),
      key: this.key,
      compression: this.compression,
    });
    await this.ensureDirectory();
    const location = join(this.directory, fileName(id, k));
    const temp = join(this.directory, tempName(fileName(id, k)));
    inFlight.add(temp);
    try {
      // 'wx' never follows or reuses an existing path; mode 0600 applies at creation.
      const handle = await openFile(temp, 'wx', 0o600);
      try {
        await handle.writeFile(bytes);
        if (this.durable) await handle.sync();
      } catch (error) {
        await handle.close();
        await unlink(temp).catch(() => undefined);
        throw error;
      }
      await handle.close();
      try {
        await rename(temp, location);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw error;
      }
    } finally {
      inFlight.delete(temp);
    }
    if (this.durable) await this.syncDirectory();
    return { agentId: id, kind: k, location };
  }

  async load(agentId: string, kind: ArtifactKind): Promise<unknown> {
    const id = parseAgentId(agentId);
    const k = parseOrThrow(ArtifactKindSchema, kind, 'kind');
    await this.open();
    const location = join(this.directory, fileName(id, k));
    let file: Buffer;
    try {
      file = await readFile(location);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new NotFoundError(id, k, location);
      throw new StoreError('STORE_IO', `cannot read ${location}: ${(error as Error).message}`, location, {
        cause: error,
      });
    }
    const { body } = await open(file, {
      location,
      key: this.key,
      allowPlaintext: this.allowPlaintext,
      expect: { agentId: id, kind: k },
    });
    return body;
  }

  async has(agentId: string, kind: ArtifactKind): Promise<boolean> {
    const id = parseAgentId(agentId);
    const k = parseOrThrow(ArtifactKindSchema, kind, 'kind');
    await this.open();
    try {
      return (await stat(join(this.directory, fileName(id, k)))).isFile();
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return false;
      throw error;
    }
  }

  /** Every artifact (optionally of one kind) with its original agent id, read from the file headers. */
  async list(kind?: ArtifactKind): Promise<ArtifactRef[]> {
    const k = kind === undefined ? undefined : parseOrThrow(ArtifactKindSchema, kind, 'kind');
    await this.open();
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return [];
      throw error;
    }
    const refs: ArtifactRef[] = [];
    for (const name of names.sort()) {
      const match = /^[0-9a-f]{64}\.([a-z][a-z0-9-]*)\.json$/.exec(name);
      if (!match || (k !== undefined && match[1] !== k)) continue;
      const location = join(this.directory, name);
      try {
        const header = readHeader(await this.readStart(location), location);
        if (header.kind === match[1]) {
          refs.push({ agentId: header.agentId, kind: match[1]!, location });
        }
      } catch (error) {
        if (!isErrno(error, 'ENOENT'))
          throw new CorruptError('not readable while listing', location, { cause: error });
      }
    }
    return refs;
  }

  async delete(agentId: string, kind: ArtifactKind): Promise<boolean> {
    const id = parseAgentId(agentId);
    const k = parseOrThrow(ArtifactKindSchema, kind, 'kind');
    await this.open();
    try {
      await unlink(join(this.directory, fileName(id, k)));
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return false;
      throw error;
    }
    if (this.durable) await this.syncDirectory();
    return true;
  }

  /**
   * Removes temp files left by saves that were killed midway: files of this store's temp-name shape
   * (`.<sha256>.<kind>.json.<pid>.<random>.tmp`) in its directory, last modified at least
   * `olderThanMs` ago (default 0: all of them, for when no other process is saving here), except
   * those of saves in flight in this process. Nothing else is touched. Returns how many it removed.
   * A store does this by itself for temp files older than ten minutes when it is first used.
   */
  async removeStaleTempFiles(olderThanMs = 0): Promise<number> {
    const age = parseOrThrow(z.number().min(0), olderThanMs, 'removeStaleTempFiles olderThanMs');
    const before = Date.now() - age;
    let removed = 0;
    for (const name of await readdir(this.directory).catch(() => [] as string[])) {
      if (!TEMP_NAME.test(name)) continue;
      const path = join(this.directory, name);
      if (inFlight.has(path)) continue;
      try {
        // lstat: a symlink or directory of that name is not one of ours, whatever it points to.
        const info = await lstat(path);
        if (!info.isFile() || (age > 0 && info.mtimeMs > before)) continue;
        await unlink(path);
        removed++;
      } catch (error) {
        if (!isErrno(error, 'ENOENT')) throw error;
      }
    }
    return removed;
  }

  /** The file's first bytes when they hold its header line (version 2), else the whole file. */
  private async readStart(location: string): Promise<Buffer> {
    const handle = await openFile(location, 'r');
    try {
      const chunk = Buffer.alloc(HEADER_BYTES);
      const { bytesRead } = await handle.read(chunk, 0, HEADER_BYTES, 0);
      const start = chunk.subarray(0, bytesRead);
      if (holdsHeader(start)) return start;
    } finally {
      await handle.close();
    }
    return readFile(location);
  }

  /**
   * Runs once, before the store's first operation: removes stale temp files of killed saves. Best
   * effort: a directory that is missing or unreadable is the operations' business, not this one's.
   */
  private open(): Promise<void> {
    this.opened ??= this.removeStaleTempFiles(STALE_TEMP_MS).then(
      () => undefined,
      () => undefined,
    );
    return this.opened;
  }

  private ensureDirectory(): Promise<void> {
    this.ready ??= mkdir(this.directory, { recursive: true, mode: 0o700 }).then(() => undefined);
    return this.ready;
  }

  private async syncDirectory(): Promise<void> {
    const handle = await openFile(this.directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
