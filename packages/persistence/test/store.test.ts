import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { ValidationError } from '@harombe/models';
import { describe, expect, it } from 'vitest';
import {
  CorruptError,
  FileModelStore,
  MemoryModelStore,
  NotFoundError,
  resolveKey,
  StoreConfigError,
  StoreError,
  type StoreErrorCode,
  TamperedError,
  UnsupportedVersionError,
} from '../src/index.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'harombe-store-'));
const model = { format: 'harombe.isolation-forest', trees: [1, 2, 3], nested: { a: 'b' } };
const fileOf = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.json'));

describe('FileModelStore basics', () => {
  it('saves, loads, lists, checks and deletes artifacts by agent id and kind', async () => {
    const dir = join(tempDir(), 'models');
    const store = new FileModelStore({ directory: dir, key: null });
    const ref = await store.save('agent-1', 'detector', model);
    expect(ref.location.startsWith(dir)).toBe(true);
    await store.save('agent-1', 'baseline', { n: 1 });
    await store.save('agent-2', 'detector', { n: 2 });
    expect(await store.load('agent-1', 'detector')).toEqual(model);
    expect(await store.has('agent-1', 'detector')).toBe(true);
    expect(await store.has('agent-3', 'detector')).toBe(false);
    const detectors = await store.list('detector');
    expect(detectors.map((r) => r.agentId).sort()).toEqual(['agent-1', 'agent-2']);
    expect((await store.list()).length).toBe(3);
    expect(await store.delete('agent-1', 'detector')).toBe(true);
    expect(await store.delete('agent-1', 'detector')).toBe(false);
    await expect(store.load('agent-1', 'detector')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('overwrites the current artifact on save', async () => {
    const store = new FileModelStore({ directory: tempDir(), key: null });
    await store.save('a', 'detector', { v: 1 });
    await store.save('a', 'detector', { v: 2 });
    expect(await store.load('a', 'detector')).toEqual({ v: 2 });
  });

  it('creates the directory 0700 and files 0600', async () => {
    const dir = join(tempDir(), 'deep', 'models');
    const store = new FileModelStore({ directory: dir, key: null });
    const { location } = await store.save('a', 'detector', model);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(location).mode & 0o777).toBe(0o600);
  });

  it('validates agent ids and kinds', async () => {
    const store = new FileModelStore({ directory: tempDir(), key: null });
    await expect(store.save('', 'detector', {})).rejects.toBeInstanceOf(ValidationError);
    await expect(store.save('a', '../x', {})).rejects.toThrow('kind');
    await expect(store.save('a', 'Detector', {})).rejects.toThrow('lower-case');
  });

  it('validates its options, naming the one at fault', () => {
    expect(() => new FileModelStore({ compression: 'zstd' as 'gzip' })).toThrow(ValidationError);
    expect(() => new FileModelStore({ compression: 'zstd' as 'gzip' })).toThrow('compression');
    expect(() => new FileModelStore({ durable: 'yes' as unknown as boolean })).toThrow('durable');
    expect(() => new FileModelStore({ directory: '' })).toThrow('directory');
    expect(() => new FileModelStore({ gzipp: true } as never)).toThrow('gzipp');
  });
});

describe('any agent id is safe', () => {
  const ids = [
    '../../etc/passwd',
    '/etc/shadow',
    'C:\\Windows\\system32',
    'CON',
    'nul',
    'a\u0000b',
    'agent\nnewline',
    'ünïcødé-агент-代理-🤖',
    '.',
    '..',
    'x'.repeat(4000),
    '__proto__',
  ];

  it('never escapes the directory, never collides, and lists the original ids', async () => {
    const dir = tempDir();
    const store = new FileModelStore({ directory: dir, key: null });
    for (const [i, id] of ids.entries()) {
      const { location } = await store.save(id, 'detector', { i });
      expect(location.startsWith(`${dir}/`)).toBe(true);
      expect(location.slice(dir.length + 1)).toMatch(/^[0-9a-f]{64}\.detector\.json$/);
    }
    expect(fileOf(dir).length).toBe(ids.length);
    for (const [i, id] of ids.entries()) expect(await store.load(id, 'detector')).toEqual({ i });
    expect((await store.list('detector')).map((r) => r.agentId).sort()).toEqual([...ids].sort());
  });
});

/** A file's header line (version 2) and the bytes after it. */
function split(file: Buffer): { header: Record<string, unknown>; body: Buffer } {
  const end = file.indexOf(0x0a);
  return { header: JSON.parse(file.toString('utf8', 0, end)), body: file.subarray(end + 1) };
}

/** A version 1 file as the previous release wrote it (one JSON object, body as a string). */
function versionOneFile(agentId: string, kind: string, body: unknown): string {
  const text = JSON.stringify(body);
  const createdAt = '2026-01-02T03:04:05.000Z';
  const header = JSON.stringify(['harombe.artifact', 1, kind, agentId, createdAt, 'json']);
  const sha256 = createHash('sha256').update(header).update('\n').update(text).digest('hex');
  return JSON.stringify({
    format: 'harombe.artifact',
    version: 1,
    kind,
    agentId,
    createdAt,
    encoding: 'json',
    sha256,
    body: text,
  });
}

describe('format and verification', () => {
  it('writes a JSON header line (format, version, kind, agent id, created at, SHA-256), then the body', async () => {
    const dir = tempDir();
    const now = new Date('2026-03-04T05:06:07.000Z');
    const store = new FileModelStore({ directory: dir, key: null, compression: 'none', now: () => now });
    const { location } = await store.save('a', 'detector', model);
    const { header, body } = split(readFileSync(location));
    expect(header).toMatchObject({
      format: 'harombe.artifact',
      version: 2,
      kind: 'detector',
      agentId: 'a',
      createdAt: '2026-03-04T05:06:07.000Z',
      compression: 'none',
      cipher: 'none',
      bodyBytes: body.length,
    });
    expect(header.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(body.toString('utf8'))).toEqual(model);
  });

  it('detects truncation, edits of body or header, and another version, each with its own error', async () => {
    const dir = tempDir();
    const store = new FileModelStore({ directory: dir, key: null, compression: 'none' });
    const { location } = await store.save('a', 'detector', model);
    const original = readFileSync(location, 'utf8');
    const attempt = async (text: string) => {
      writeFileSync(location, text);
      return store.load('a', 'detector').then(
        () => undefined,
        (error: unknown) => error,
      );
    };
    expect(await attempt(original.slice(0, original.length - 10))).toBeInstanceOf(CorruptError);
    expect(await attempt(original.slice(0, original.indexOf('\n') - 3))).toBeInstanceOf(CorruptError);
    expect(await attempt(`${original} `)).toBeInstanceOf(CorruptError);
    expect(await attempt(original.replace('"trees":[1,2,3]', '"trees":[1,2,4]'))).toBeInstanceOf(
      TamperedError,
    );
    expect(await attempt(original.replace('"createdAt":"', '"createdAt":"1'))).toBeInstanceOf(TamperedError);
    expect(await attempt(original.replace('"version":2', '"version":3'))).toBeInstanceOf(
      UnsupportedVersionError,
    );
    expect(await attempt('{"hello":"world"}')).toBeInstanceOf(CorruptError);
    const error = (await attempt(original.replace('"trees":[1,2,3]', '"trees":[1,2,4]'))) as TamperedError;
    expect(error.message).toContain('SHA-256 mismatch');
    expect(error.location).toBe(location);
  });

  it('refuses a file copied onto another agent', async () => {
    const dir = tempDir();
    const store = new FileModelStore({ directory: dir, key: null });
    const a = await store.save('a', 'detector', { who: 'a' });
    const b = await store.save('b', 'detector', { who: 'b' });
    writeFileSync(b.location, readFileSync(a.location));
    await expect(store.load('b', 'detector')).rejects.toThrow(CorruptError);
  });

  it('compresses with Brotli by default, gzip on request; standard tools read the bodies', async () => {
    const dir = tempDir();
    const big = { values: Array.from({ length: 5000 }, (_, i) => i % 10) };
    const decompress = { brotli: brotliDecompressSync, gzip: gunzipSync };
    for (const [options, compression] of [
      [{}, 'brotli'],
      [{ compression: 'gzip' }, 'gzip'],
      [{ gzip: true }, 'gzip'],
    ] as const) {
      const store = new FileModelStore({ directory: dir, key: null, ...options });
      const { location } = await store.save('a', 'detector', big);
      const { header, body } = split(readFileSync(location));
      expect(header.compression).toBe(compression);
      expect(body.length).toBeLessThan(JSON.stringify(big).length / 3);
      expect(decompress[compression](body).toString('utf8')).toBe(JSON.stringify(big));
      expect(await new FileModelStore({ directory: dir, key: null }).load('a', 'detector')).toEqual(big);
    }
  });

  it('reads, lists and verifies artifacts written in version 1 by the previous release', async () => {
    const dir = tempDir();
    const store = new FileModelStore({ directory: dir, key: null });
    const { location } = await store.save('agent/../one', 'detector', { placeholder: true });
    const legacy = versionOneFile('agent/../one', 'detector', model);
    writeFileSync(location, legacy);
    expect(await store.load('agent/../one', 'detector')).toEqual(model);
    expect((await store.list()).map((r) => r.agentId)).toEqual(['agent/../one']);
    // A version 1 file larger than the bytes a version 2 header fits in is listed too.
    const big = await store.save('big', 'baseline', { placeholder: true });
    writeFileSync(big.location, versionOneFile('big', 'baseline', { pad: 'x'.repeat(100_000) }));
    expect((await store.list('baseline')).map((r) => r.agentId)).toEqual(['big']);
    writeFileSync(location, legacy.replace('[1,2,3]', '[1,2,4]'));
    await expect(store.load('agent/../one', 'detector')).rejects.toThrow('SHA-256 mismatch');
    // Saving again upgrades the file to version 2.
    writeFileSync(location, legacy);
    await store.save('agent/../one', 'detector', await store.load('agent/../one', 'detector'));
    expect(split(readFileSync(location)).header.version).toBe(2);
    expect(await store.load('agent/../one', 'detector')).toEqual(model);
  });
});

describe('encryption at rest', () => {
  const key = randomBytes(32);

  it('encrypts with AES-256-GCM: no plaintext on disk, a fresh nonce per write', async () => {
    const dir = tempDir();
    const store = new FileModelStore({ directory: dir, key });
    const { location } = await store.save('a', 'detector', { secret: 'tool-shell-execute' });
    const first = split(readFileSync(location)).header;
    expect(first.cipher).toBe('aes-256-gcm');
    expect(readFileSync(location, 'utf8')).not.toContain('tool-shell-execute');
    await store.save('a', 'detector', { secret: 'tool-shell-execute' });
    expect(split(readFileSync(location)).header.nonce).not.toBe(first.nonce);
    expect(await store.load('a', 'detector')).toEqual({ secret: 'tool-shell-execute' });
  });

  it('a wrong key or any flipped byte gives TamperedError', async () => {
    const dir = tempDir();
    const { location } = await new FileModelStore({ directory: dir, key, gzip: true }).save(
      'a',
      'detector',
      model,
    );
    await expect(
      new FileModelStore({ directory: dir, key: randomBytes(32) }).load('a', 'detector'),
    ).rejects.toBeInstanceOf(TamperedError);
    const { header, body } = split(readFileSync(location));
    const write = (h: Record<string, unknown>, b: Buffer) =>
      writeFileSync(location, Buffer.concat([Buffer.from(`${JSON.stringify(h)}\n`), b]));
    for (const at of [0, Math.floor(body.length / 2), body.length - 1]) {
      const flipped = Buffer.from(body);
      flipped[at]! ^= 0x01;
      write(header, flipped);
      await expect(new FileModelStore({ directory: dir, key }).load('a', 'detector')).rejects.toBeInstanceOf(
        TamperedError,
      );
    }
    // The header is authenticated too.
    write({ ...header, createdAt: '2020-01-01T00:00:00.000Z' }, body);
    await expect(new FileModelStore({ directory: dir, key }).load('a', 'detector')).rejects.toBeInstanceOf(
      TamperedError,
    );
    write({ ...header, compression: 'none' }, body);
    await expect(new FileModelStore({ directory: dir, key }).load('a', 'detector')).rejects.toBeInstanceOf(
      TamperedError,
    );
  });

  it('reads the key from HAROMBE_MODEL_KEY (base64) and rejects bad keys', () => {
    expect(resolveKey(undefined, { HAROMBE_MODEL_KEY: key.toString('base64') })).toEqual(key);
    expect(resolveKey(null, { HAROMBE_MODEL_KEY: key.toString('base64') })).toBeUndefined();
    expect(() => resolveKey(undefined, { HAROMBE_MODEL_KEY: 'c2hvcnQ=' })).toThrow(StoreConfigError);
    expect(() => new FileModelStore({ key: randomBytes(16) })).toThrow('32 bytes');
  });

  it('refuses plaintext when a key is set, unless migrating; an encrypted file needs the key', async () => {
    const dir = tempDir();
    await new FileModelStore({ directory: dir, key: null }).save('a', 'detector', model);
    await expect(new FileModelStore({ directory: dir, key }).load('a', 'detector')).rejects.toBeInstanceOf(
      TamperedError,
    );
    expect(
      await new FileModelStore({ directory: dir, key, allowPlaintext: true }).load('a', 'detector'),
    ).toEqual(model);
    await new FileModelStore({ directory: dir, key }).save('a', 'detector', model);
    await expect(
      new FileModelStore({ directory: dir, key: null }).load('a', 'detector'),
    ).rejects.toBeInstanceOf(StoreConfigError);
  });

  it('rotates keys: load with the old key, save with the new', async () => {
    const dir = tempDir();
    const newKey = randomBytes(32);
    const oldStore = new FileModelStore({ directory: dir, key });
    const newStore = new FileModelStore({ directory: dir, key: newKey });
    await oldStore.save('a', 'detector', model);
    for (const ref of await oldStore.list()) {
      await newStore.save(ref.agentId, ref.kind, await oldStore.load(ref.agentId, ref.kind));
    }
    expect(await newStore.load('a', 'detector')).toEqual(model);
    await expect(oldStore.load('a', 'detector')).rejects.toBeInstanceOf(TamperedError);
  });
});

describe('atomic and durable writes', () => {
  it('concurrent saves of one agent leave exactly one complete artifact', async () => {
    const dir = tempDir();
    const store = new FileModelStore({ directory: dir, key: null });
    const bodies = Array.from({ length: 25 }, (_, i) => ({
      writer: i,
      data: Array.from({ length: 3000 }, () => i),
    }));
    await Promise.all(bodies.map((body) => store.save('same', 'detector', body)));
    expect(fileOf(dir)).toHaveLength(1);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toHaveLength(0);
    const loaded = (await store.load('same', 'detector')) as { writer: number; data: number[] };
    expect(loaded.data).toEqual(bodies[loaded.writer]!.data);
  });

  it('a process killed at any moment during saves never leaves a corrupt current artifact', async () => {
    const dir = tempDir();
    const keyText = randomBytes(32).toString('base64');
    const store = new FileModelStore({ directory: dir, key: keyText });
    // Deterministic kill delays spread over a save's lifetime.
    const delays = Array.from({ length: 24 }, (_, i) => 5 + ((i * 37) % 60));
    let loadedRounds = 0;
    for (const delay of delays) {
      const child = fork(join(import.meta.dirname, 'save-loop.ts'), [dir, keyText], {
        execArgv: ['--import', 'tsx'],
        stdio: 'ignore',
      });
      await new Promise<void>((resolve) => child.once('message', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      for (const kind of ['detector', 'baseline']) {
        if (await store.has('agent/../crash', kind)) {
          const body = (await store.load('agent/../crash', kind)) as { round: number };
          expect(body.round).toBeGreaterThan(0);
          loadedRounds++;
        }
      }
    }
    expect(loadedRounds).toBeGreaterThan(0);
    expect(fileOf(dir).length).toBeLessThanOrEqual(2);
    await store.removeStaleTempFiles();
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toHaveLength(0);
  }, 300_000);
});

describe('MemoryModelStore', () => {
  it('keeps the same contract and never shares objects with callers', async () => {
    const store = new MemoryModelStore();
    const body = { a: [1, 2] };
    await store.save('x', 'detector', body);
    body.a.push(3);
    expect(await store.load('x', 'detector')).toEqual({ a: [1, 2] });
    expect(await store.has('x', 'detector')).toBe(true);
    expect((await store.list('detector')).map((r) => r.agentId)).toEqual(['x']);
    expect(await store.delete('x', 'detector')).toBe(true);
    await expect(store.load('x', 'detector')).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.save('', 'detector', {})).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('error codes', () => {
  it('are literal unions a caller can switch on exhaustively', async () => {
    const store = new MemoryModelStore();
    const error = await store.load('nobody', 'detector').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    const advice = (code: StoreErrorCode): string => {
      switch (code) {
        case 'STORE_NOT_FOUND':
          return 'train the agent first';
        case 'STORE_CORRUPT':
        case 'STORE_TAMPERED':
        case 'STORE_UNSUPPORTED_VERSION':
          return 'restore the artifact from a backup';
        case 'STORE_CONFIG':
        case 'STORE_IO':
          return 'check the configuration';
        default: {
          const never: never = code;
          return never;
        }
      }
    };
    expect(advice((error as StoreError).code)).toBe('train the agent first');
  });
});
