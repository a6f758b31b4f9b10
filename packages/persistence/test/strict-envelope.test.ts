import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CorruptError, FileModelStore, TamperedError } from '../src/index.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'harombe-strict-'));
const key = randomBytes(32);
const model = { trees: [1, 2, 3], nested: { a: 'b' } };

/** The error a load ends with (or undefined when it loads). */
async function loadError(store: FileModelStore, agentId: string): Promise<unknown> {
  return store.load(agentId, 'detector').then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** An encrypted artifact on disk, and a way to rewrite its header line while keeping the body. */
async function sealedArtifact() {
  const dir = tempDir();
  const store = new FileModelStore({ directory: dir, key });
  const { location } = await store.save('a', 'detector', model);
  const file = readFileSync(location);
  const end = file.indexOf(0x0a);
  const header = JSON.parse(file.toString('utf8', 0, end)) as Record<string, unknown>;
  const body = file.subarray(end + 1);
  const rewrite = (changes: Record<string, unknown>) =>
    writeFileSync(
      location,
      Buffer.concat([Buffer.from(`${JSON.stringify({ ...header, ...changes })}\n`), body]),
    );
  return { store, header: header as { tag: string; nonce: string }, rewrite };
}

/** `text` with one character inserted: Node's lenient base64 decoder skips it, giving the same bytes. */
const withForeignCharacter = (text: string) => `${text.slice(0, 8)}*${text.slice(8)}`;

describe('authentication tags and nonces are checked strictly', () => {
  it('refuses a tag cut to 4 bytes (which AES-GCM would otherwise accept, making forgery a 2^32 guess)', async () => {
    const { store, header, rewrite } = await sealedArtifact();
    const shortTag = Buffer.from(header.tag, 'base64').subarray(0, 4).toString('base64');
    rewrite({ tag: shortTag });
    const error = await loadError(store, 'a');
    expect(error).toBeInstanceOf(TamperedError);
    expect((error as TamperedError).message).toContain('"tag"');
    expect((error as TamperedError).message).toContain('16 bytes');
  });

  it('refuses tags of any length other than 16 bytes, longer ones included', async () => {
    const { store, header, rewrite } = await sealedArtifact();
    const full = Buffer.from(header.tag, 'base64');
    for (const tag of [full.subarray(0, 12), full.subarray(0, 15), Buffer.concat([full, Buffer.from([0])])]) {
      rewrite({ tag: tag.toString('base64') });
      expect(await loadError(store, 'a')).toBeInstanceOf(TamperedError);
    }
    rewrite({});
    expect(await store.load('a', 'detector')).toEqual(model);
  });

  it('accepts only the canonical base64 of the tag and the nonce', async () => {
    const { store, header, rewrite } = await sealedArtifact();
    // The last character before '==' carries 2 bits of the tag and 4 unused ones: setting an unused
    // bit decodes to the same 16 bytes, so only a canonical check notices the edit.
    const last = header.tag.length - 3;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const loose = alphabet[alphabet.indexOf(header.tag[last]!) + 1]!;
    const edited = [
      { tag: `${header.tag.slice(0, last)}${loose}==` },
      { tag: withForeignCharacter(header.tag) },
      { tag: header.tag.replaceAll('=', '') },
      { tag: ` ${header.tag}` },
      { nonce: withForeignCharacter(header.nonce) },
      { nonce: `${header.nonce}\n` },
    ];
    for (const change of edited) {
      // Each edit decodes to the very bytes that authenticate: the lenient decoder let it load.
      const [field, text] = Object.entries(change)[0]!;
      expect(Buffer.from(text, 'base64')).toEqual(Buffer.from(header[field as 'tag' | 'nonce'], 'base64'));
      rewrite(change);
      const error = await loadError(store, 'a');
      expect(error).toBeInstanceOf(TamperedError);
      expect((error as TamperedError).message).toContain(`"${field}": expected canonical base64`);
    }
    rewrite({});
    expect(await store.load('a', 'detector')).toEqual(model);
  });
});

/** A version 1 file with a gzip body in base64, as the previous release wrote it. */
function versionOneGzipFile(agentId: string, body: unknown, encode = (b64: string) => b64): string {
  const text = JSON.stringify(body);
  const createdAt = '2026-01-02T03:04:05.000Z';
  const header = JSON.stringify(['harombe.artifact', 1, 'detector', agentId, createdAt, 'gzip']);
  const sha256 = createHash('sha256').update(header).update('\n').update(text).digest('hex');
  return JSON.stringify({
    format: 'harombe.artifact',
    version: 1,
    kind: 'detector',
    agentId,
    createdAt,
    encoding: 'gzip',
    sha256,
    body: encode(gzipSync(Buffer.from(text)).toString('base64')),
  });
}

describe('header encodings', () => {
  it('reads a version 1 base64 body only in its canonical form', async () => {
    const dir = tempDir();
    const store = new FileModelStore({ directory: dir, key: null });
    const { location } = await store.save('a', 'detector', { placeholder: true });
    writeFileSync(location, versionOneGzipFile('a', model));
    expect(await store.load('a', 'detector')).toEqual(model);
    writeFileSync(location, versionOneGzipFile('a', model, withForeignCharacter));
    const error = await loadError(store, 'a');
    expect(error).toBeInstanceOf(CorruptError);
    expect((error as CorruptError).reason).toContain('"body": expected canonical base64');
  });

  it('refuses a version nested 100,000 arrays deep with CorruptError naming the field', async () => {
    const dir = tempDir();
    const store = new FileModelStore({ directory: dir, key: null });
    const { location } = await store.save('a', 'detector', model);
    const deep = `${'['.repeat(100_000)}2${']'.repeat(100_000)}`;
    writeFileSync(location, `{"format":"harombe.artifact","version":${deep}}\n`);
    const error = await loadError(store, 'a');
    expect(error).toBeInstanceOf(CorruptError);
    expect((error as CorruptError).reason).toBe(
      'header field "version": expected a number, received an array',
    );
    // Listing reads the same header and fails the same way, as a typed error.
    await expect(store.list()).rejects.toBeInstanceOf(CorruptError);
  });
});

describe('a decompression bomb', () => {
  it('is refused once its body inflates past 64 MiB, before it is all in memory', async () => {
    const dir = tempDir();
    // Unencrypted and compressed (the default): the body is the raw compressed bytes.
    const store = new FileModelStore({ directory: dir });
    const { location } = await store.save('a', 'detector', model);
    const file = readFileSync(location);
    const end = file.indexOf(0x0a);
    const header = JSON.parse(file.toString('utf8', 0, end)) as { compression?: string };
    const bomb =
      header.compression === 'gzip'
        ? gzipSync(Buffer.alloc(80 * 1_048_576))
        : brotliCompressSync(Buffer.alloc(80 * 1_048_576));
    // The header names the body's length: a forger sets it to the bomb's.
    const forged = { ...header, bodyBytes: bomb.length };
    writeFileSync(location, Buffer.concat([Buffer.from(`${JSON.stringify(forged)}\n`), bomb]));
    const error = await loadError(store, 'a');
    expect(error).toBeInstanceOf(TamperedError);
    expect((error as TamperedError).message).toContain('inflates past 64 MiB');
  });
});
