// The artifact file format: one JSON object, a header plus the body as text. The header is covered
// by the SHA-256 (and, when encrypted, authenticated as AES-256-GCM associated data), so any edit
// to either is detected. JSON only: loading never executes anything.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { z } from 'zod';
import { CorruptError, StoreConfigError, TamperedError, UnsupportedVersionError } from './errors.js';

export const ARTIFACT_FORMAT = 'harombe.artifact';
export const ARTIFACT_VERSION = 1;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export type Encoding = 'json' | 'gzip' | 'aes-256-gcm' | 'aes-256-gcm+gzip';

const HeaderSchema = z.object({
  format: z.literal(ARTIFACT_FORMAT),
  version: z.literal(ARTIFACT_VERSION),
  kind: z.string().min(1).max(64),
  agentId: z.string().min(1),
  createdAt: z.string(),
  encoding: z.enum(['json', 'gzip', 'aes-256-gcm', 'aes-256-gcm+gzip']),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  nonce: z.string().optional(),
  tag: z.string().optional(),
});

const EnvelopeSchema = HeaderSchema.extend({ body: z.string() });

export type Header = z.infer<typeof HeaderSchema>;

/** The header fields that are hashed and authenticated, in a fixed order. */
function headerText(
  h: Pick<Header, 'format' | 'version' | 'kind' | 'agentId' | 'createdAt' | 'encoding'>,
): string {
  return JSON.stringify([h.format, h.version, h.kind, h.agentId, h.createdAt, h.encoding]);
}

function digest(header: string, plaintext: Buffer): string {
  return createHash('sha256').update(header).update('\n').update(plaintext).digest('hex');
}

export interface SealOptions {
  readonly agentId: string;
  readonly kind: string;
  readonly createdAt: Date;
  readonly key: Buffer | undefined;
  readonly gzip: boolean;
}

/** Serializes `body` (JSON-safe) into the file text. */
export async function seal(body: unknown, options: SealOptions): Promise<string> {
  let text: string;
  try {
    text = JSON.stringify(body);
  } catch (error) {
    throw new CorruptError('the artifact body is not JSON-serializable', undefined, { cause: error });
  }
  if (text === undefined) throw new CorruptError('the artifact body is not JSON-serializable', undefined);
  const encoding: Encoding = options.key
    ? options.gzip
      ? 'aes-256-gcm+gzip'
      : 'aes-256-gcm'
    : options.gzip
      ? 'gzip'
      : 'json';
  const base = {
    format: ARTIFACT_FORMAT,
    version: ARTIFACT_VERSION,
    kind: options.kind,
    agentId: options.agentId,
    createdAt: options.createdAt.toISOString(),
    encoding,
  } as const;
  const plaintext = Buffer.from(text, 'utf8');
  const header = headerText(base);
  const sha256 = digest(header, plaintext);
  let payload: Buffer = options.gzip ? await gzipAsync(plaintext) : plaintext;
  let nonce: string | undefined;
  let tag: string | undefined;
  if (options.key) {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', options.key, iv);
    cipher.setAAD(Buffer.from(`${header}\n${sha256}`, 'utf8'));
    payload = Buffer.concat([cipher.update(payload), cipher.final()]);
    nonce = iv.toString('base64');
    tag = cipher.getAuthTag().toString('base64');
  }
  const envelope = {
    ...base,
    sha256,
    ...(nonce ? { nonce, tag } : {}),
    body: encoding === 'json' ? text : payload.toString('base64'),
  };
  return JSON.stringify(envelope);
}

export interface OpenOptions {
  readonly location: string;
  readonly key: Buffer | undefined;
  readonly allowPlaintext: boolean;
  readonly expect?: { agentId: string; kind: string };
}

/** Verifies and decodes file text into its header and body. */
export async function open(
  fileText: string,
  options: OpenOptions,
): Promise<{ header: Header; body: unknown }> {
  const { location } = options;
  let json: unknown;
  try {
    json = JSON.parse(fileText);
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
  if (version !== ARTIFACT_VERSION) throw new UnsupportedVersionError(version, location);
  const parsed = EnvelopeSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CorruptError(`header field "${issue.path.join('.')}": ${issue.message}`, location);
  }
  const envelope = parsed.data;
  const header = headerText(envelope);
  const encrypted = envelope.encoding.startsWith('aes-256-gcm');
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
  let payload: Buffer =
    envelope.encoding === 'json' ? Buffer.from(envelope.body, 'utf8') : Buffer.from(envelope.body, 'base64');
  if (encrypted) {
    if (!envelope.nonce || !envelope.tag)
      throw new TamperedError('nonce or authentication tag missing', location);
    try {
      const decipher = createDecipheriv('aes-256-gcm', options.key!, Buffer.from(envelope.nonce, 'base64'));
      decipher.setAAD(Buffer.from(`${header}\n${envelope.sha256}`, 'utf8'));
      decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
      payload = Buffer.concat([decipher.update(payload), decipher.final()]);
    } catch {
      throw new TamperedError('authentication failed (wrong key, or the file was modified)', location);
    }
  }
  if (envelope.encoding.endsWith('gzip')) {
    try {
      payload = await gunzipAsync(payload);
    } catch {
      throw new TamperedError('compressed body does not decompress', location);
    }
  }
  if (digest(header, payload) !== envelope.sha256) throw new TamperedError('SHA-256 mismatch', location);
  if (
    options.expect &&
    (envelope.agentId !== options.expect.agentId || envelope.kind !== options.expect.kind)
  ) {
    throw new CorruptError(
      `holds ${envelope.kind} of agent ${JSON.stringify(envelope.agentId)}, not ${options.expect.kind} of ${JSON.stringify(options.expect.agentId)}`,
      location,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    throw new CorruptError('body is not valid JSON', location, { cause: error });
  }
  const { body: _text, ...rest } = envelope;
  return { header: rest, body };
}
