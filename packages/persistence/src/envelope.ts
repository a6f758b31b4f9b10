// The artifact file format. Version 2 (written): one line of JSON header, a newline, then the body:
// the JSON text of the artifact, compressed (Brotli by default) and optionally encrypted. Version 1
// (still read): one JSON object holding the header and the body as a string. The header is covered
// by the SHA-256 (and, when encrypted, authenticated as AES-256-GCM associated data), so any edit to
// either is detected. JSON only: loading never executes anything.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants, gunzip, gzip } from 'node:zlib';
import { z } from 'zod';
import { CorruptError, StoreConfigError, TamperedError, UnsupportedVersionError } from './errors.js';

export const ARTIFACT_FORMAT = 'harombe.artifact';
/** The version this release writes. It also reads {@link READABLE_VERSIONS}. */
export const ARTIFACT_VERSION = 2;
export const READABLE_VERSIONS: readonly number[] = [1, 2];

export type Compression = 'none' | 'brotli' | 'gzip';
export type Cipher = 'none' | 'aes-256-gcm';
/** Version 1 spelling of compression and cipher together (read only). */
export type Encoding = 'json' | 'gzip' | 'aes-256-gcm' | 'aes-256-gcm+gzip';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
const brotliAsync = promisify(brotliCompress);
const unbrotliAsync = promisify(brotliDecompress);

const common = {
  format: z.literal(ARTIFACT_FORMAT),
  kind: z.string().min(1).max(64),
  agentId: z.string().min(1),
  createdAt: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  nonce: z.string().optional(),
  tag: z.string().optional(),
};

const HeaderV2Schema = z.object({
  ...common,
  version: z.literal(2),
  compression: z.enum(['none', 'brotli', 'gzip']),
  cipher: z.enum(['none', 'aes-256-gcm']),
  bodyBytes: z.number().int().min(0),
});

const EnvelopeV1Schema = z.object({
  ...common,
  version: z.literal(1),
  encoding: z.enum(['json', 'gzip', 'aes-256-gcm', 'aes-256-gcm+gzip']),
  body: z.string(),
});

/** What a loaded artifact's header says (either version). */
export interface Header {
  readonly format: typeof ARTIFACT_FORMAT;
  readonly version: number;
  readonly kind: string;
  readonly agentId: string;
  readonly createdAt: string;
  readonly compression: Compression;
  readonly cipher: Cipher;
  readonly sha256: string;
}

function headerTextV2(h: {
  kind: string;
  agentId: string;
  createdAt: string;
  compression: Compression;
  cipher: Cipher;
  bodyBytes: number;
}): string {
  return JSON.stringify([
    ARTIFACT_FORMAT,
    2,
    h.kind,
    h.agentId,
    h.createdAt,
    h.compression,
    h.cipher,
    h.bodyBytes,
  ]);
}

function headerTextV1(h: { kind: string; agentId: string; createdAt: string; encoding: Encoding }): string {
  return JSON.stringify([ARTIFACT_FORMAT, 1, h.kind, h.agentId, h.createdAt, h.encoding]);
}

function digest(header: string, plaintext: Buffer): string {
  return createHash('sha256').update(header).update('\n').update(plaintext).digest('hex');
}

async function compress(plaintext: Buffer, compression: Compression): Promise<Buffer> {
  if (compression === 'brotli') {
    // Quality 1: about half the size of the JSON text in about half a millisecond for a model
    // (quality 2 is 8% smaller and half again as slow).
    return brotliAsync(plaintext, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 1,
        [constants.BROTLI_PARAM_SIZE_HINT]: plaintext.length,
      },
    });
  }
  return compression === 'gzip' ? gzipAsync(plaintext) : plaintext;
}

/** What {@link seal} writes into the header, and how it encodes the body. */
export interface SealOptions {
  readonly agentId: string;
  readonly kind: string;
  readonly createdAt: Date;
  /** 32-byte AES-256-GCM key (see `resolveKey`), or `undefined` for a plaintext, checksummed body. */
  readonly key: Buffer | undefined;
  readonly compression: Compression;
}

/**
 * Serializes `body` (JSON-safe) into the bytes of a version 2 file: the header line (covered by the
 * SHA-256 and, with a key, by AES-256-GCM as associated data), then the compressed, optionally
 * encrypted body. Exported as `sealArtifact` for stores other than files.
 * @throws {CorruptError} when `body` is not JSON-serializable.
 */
export async function seal(body: unknown, options: SealOptions): Promise<Buffer> {
  let text: string;
  try {
    text = JSON.stringify(body);
  } catch (error) {
    throw new CorruptError('the artifact body is not JSON-serializable', undefined, { cause: error });
  }
  if (text === undefined) throw new CorruptError('the artifact body is not JSON-serializable', undefined);
  const plaintext = Buffer.from(text, 'utf8');
  let payload = await compress(plaintext, options.compression);
  const fields = {
    kind: options.kind,
    agentId: options.agentId,
    createdAt: options.createdAt.toISOString(),
    compression: options.compression,
    cipher: options.key ? ('aes-256-gcm' as const) : ('none' as const),
    bodyBytes: payload.length, // AES-GCM keeps the length
  };
  const header = headerTextV2(fields);
  const sha256 = digest(header, plaintext);
  let sealed: { nonce: string; tag: string } | undefined;
  if (options.key) {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', options.key, iv);
    cipher.setAAD(Buffer.from(`${header}\n${sha256}`, 'utf8'));
    payload = Buffer.concat([cipher.update(payload), cipher.final()]);
    sealed = { nonce: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
  }
  const line = JSON.stringify({
    format: ARTIFACT_FORMAT,
    version: ARTIFACT_VERSION,
    ...fields,
    sha256,
    ...sealed,
  });
  return Buffer.concat([Buffer.from(`${line}\n`, 'utf8'), payload]);
}

/** How {@link open} verifies: with which key, and what the artifact must be. */
export interface OpenOptions {
  /** Where the bytes came from, named in errors (a path, or a store's key). */
  readonly location: string;
  /** The AES-256-GCM key, or `undefined` when artifacts are not encrypted. */
  readonly key: Buffer | undefined;
  /** With a key, accept a plaintext artifact (migration) instead of refusing it as tampered. */
  readonly allowPlaintext: boolean;
  /** The agent and kind the header must name (else `CorruptError`). */
  readonly expect?: { agentId: string; kind: string };
}

/** The parts of a file of either version that verification needs. */
interface Parsed {
  header: Header;
  /** The text covered by the SHA-256 and the authentication tag. */
  headerText: string;
  nonce: string | undefined;
  tag: string | undefined;
  payload: Buffer;
}

const NEWLINE = 0x0a;

/** The most a compressed body may inflate to (an agent's artifact is about 70 KB; a fleet's, a few MB). */
const MAX_INFLATED_BYTES = 64 * 1_048_576;

// AES-GCM nonce and tag sizes. GCM also verifies a tag cut short, which makes forgery cheap (a 4-byte
// tag is guessed in about 2^32 tries), so a tag of any other length is refused.
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The bytes of a header field holding base64 of exactly `bytes` bytes, or `undefined` when the text
 * is not the canonical encoding of that many bytes. Node's decoder is lenient (it skips foreign
 * characters, accepts base64url, stops at the first padding and ignores non-zero trailing bits), so
 * the decoded bytes are encoded again and compared: only the text this package writes is accepted.
 */
function canonicalBase64(text: string, bytes?: number): Buffer | undefined {
  const decoded = Buffer.from(text, 'base64');
  if (bytes !== undefined && decoded.length !== bytes) return undefined;
  return decoded.toString('base64') === text ? decoded : undefined;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `header field "${issue.path.join('.')}": ${issue.message}`;
}

/**
 * Splits and checks the header (version, schema and, with `wholeFile`, the body's length), without
 * verifying the body. Without `wholeFile`, `file` may be just the start of a version 2 file.
 */
function parse(file: Buffer, location: string, wholeFile = true): Parsed {
  const end = file.indexOf(NEWLINE);
  let json: unknown;
  try {
    json = JSON.parse(file.toString('utf8', 0, end < 0 ? file.length : end));
  } catch (error) {
    throw new CorruptError('not valid JSON (truncated or not an artifact)', location, { cause: error });
  }
  if (
    json === null ||
    typeof json !== 'object' ||
    (json as { format?: unknown }).format !== ARTIFACT_FORMAT
  ) {
    throw new CorruptError(`not a ${ARTIFACT_FORMAT} file`, location);
  }
  const version = (json as { version?: unknown }).version;
  // Shallow type check first: a forged version nested 100,000 arrays deep would overflow the stack
  // when the unsupported-version message stringifies it.
  if (version !== null && typeof version === 'object') {
    throw new CorruptError(
      `header field "version": expected a number, received ${Array.isArray(version) ? 'an array' : 'an object'}`,
      location,
    );
  }
  if (version === 1) {
    const parsed = EnvelopeV1Schema.safeParse(json);
    if (!parsed.success) throw new CorruptError(firstIssue(parsed.error), location);
    const { body, encoding, nonce, tag, ...rest } = parsed.data;
    // A compressed or encrypted body is base64 text; only its canonical form is accepted, so no
    // edit of the file goes unnoticed (the SHA-256 and the tag cover the decoded bytes only).
    const payload = encoding === 'json' ? Buffer.from(body, 'utf8') : canonicalBase64(body);
    if (!payload) throw new CorruptError('header field "body": expected canonical base64 text', location);
    return {
      header: {
        ...rest,
        compression: encoding.endsWith('gzip') ? 'gzip' : 'none',
        cipher: encoding.startsWith('aes-256-gcm') ? 'aes-256-gcm' : 'none',
      },
      headerText: headerTextV1(parsed.data),
      nonce,
      tag,
      payload,
    };
  }
  if (version !== 2) throw new UnsupportedVersionError(version, location);
  const parsed = HeaderV2Schema.safeParse(json);
  if (!parsed.success) throw new CorruptError(firstIssue(parsed.error), location);
  const { nonce, tag, bodyBytes, ...header } = parsed.data;
  const payload = end < 0 ? Buffer.alloc(0) : file.subarray(end + 1);
  if (wholeFile && payload.length !== bodyBytes) {
    throw new CorruptError(
      `body has ${payload.length} bytes, the header says ${bodyBytes} (truncated or appended to)`,
      location,
    );
  }
  return { header, headerText: headerTextV2(parsed.data), nonce, tag, payload };
}

/**
 * The header of a file of either version (for listing), from the start of the file (a version 2
 * header line) or the whole file (version 1). `CorruptError`/`UnsupportedVersionError` otherwise.
 */
export function readHeader(start: Buffer, location: string): Header {
  return parse(start, location, false).header;
}

/** Bytes that always hold a version 2 header line (an agent id of 4,096 characters, JSON-escaped, included). */
export const HEADER_BYTES = 64 * 1024;

/** Whether `start` (the first bytes of a file, `HEADER_BYTES` at most) is enough for {@link readHeader}. */
export function holdsHeader(start: Buffer): boolean {
  return start.includes(NEWLINE) || start.length < HEADER_BYTES;
}

/**
 * Verifies and decodes a file of either version into its header and body. Exported as
 * `openArtifact` for stores other than files.
 * @throws {CorruptError | UnsupportedVersionError | TamperedError | StoreConfigError} naming `location`.
 */
export async function open(file: Buffer, options: OpenOptions): Promise<{ header: Header; body: unknown }> {
  const { location } = options;
  const { header, headerText, nonce, tag, payload: stored } = parse(file, location);
  let payload = stored;
  const encrypted = header.cipher === 'aes-256-gcm';
  if (encrypted && !options.key) {
    throw new StoreConfigError(
      `artifact ${location} is encrypted: configure the key (option or HAROMBE_MODEL_KEY)`,
      location,
    );
  }
  if (!encrypted && options.key && !options.allowPlaintext) {
    throw new TamperedError(
      'expected an encrypted artifact, found plaintext (set allowPlaintext to migrate)',
      location,
    );
  }
  if (encrypted) {
    if (!nonce || !tag) throw new TamperedError('nonce or authentication tag missing', location);
    const iv = canonicalBase64(nonce, NONCE_BYTES);
    if (!iv)
      throw new TamperedError(
        `header field "nonce": expected canonical base64 of ${NONCE_BYTES} bytes`,
        location,
      );
    const authTag = canonicalBase64(tag, TAG_BYTES);
    if (!authTag)
      throw new TamperedError(
        `header field "tag": expected canonical base64 of ${TAG_BYTES} bytes`,
        location,
      );
    try {
      // authTagLength pins the tag size in OpenSSL too, so no path accepts a truncated tag.
      const decipher = createDecipheriv('aes-256-gcm', options.key!, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(`${headerText}\n${header.sha256}`, 'utf8'));
      decipher.setAuthTag(authTag);
      payload = Buffer.concat([decipher.update(payload), decipher.final()]);
    } catch {
      throw new TamperedError('authentication failed (wrong key, or the file was modified)', location);
    }
  }
  if (header.compression !== 'none') {
    // Bounded: a small forged body could otherwise inflate to gigabytes before the digest is checked.
    const bounds = { maxOutputLength: MAX_INFLATED_BYTES };
    try {
      payload =
        header.compression === 'brotli'
          ? await unbrotliAsync(payload, bounds)
          : await gunzipAsync(payload, bounds);
    } catch (error) {
      const tooLarge = (error as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE';
      throw new TamperedError(
        tooLarge
          ? `compressed body inflates past ${MAX_INFLATED_BYTES / 1_048_576} MiB`
          : 'compressed body does not decompress',
        location,
      );
    }
  }
  if (digest(headerText, payload) !== header.sha256) throw new TamperedError('SHA-256 mismatch', location);
  if (options.expect && (header.agentId !== options.expect.agentId || header.kind !== options.expect.kind)) {
    throw new CorruptError(
      `holds ${header.kind} of agent ${JSON.stringify(header.agentId)}, not ${options.expect.kind} of ${JSON.stringify(options.expect.agentId)}`,
      location,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    throw new CorruptError('body is not valid JSON', location, { cause: error });
  }
  return { header, body };
}
