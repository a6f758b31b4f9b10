import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSandbox, startDocsServer, startExampleToolServer } from '../src/index.js';
import { call, textOf } from './helpers.js';

describe('the example tool server', () => {
  let home: string;
  let client: Client;
  let docsHost: string;
  const closers: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'harombe-tools-'));
    const sandbox = join(home, 'sandbox');
    await seedSandbox(sandbox);
    await writeFile(join(home, 'outside.txt'), 'secret outside the sandbox');
    await symlink(home, join(sandbox, 'escape'));
    const docs = await startDocsServer(0);
    docsHost = docs.host;
    const tools = await startExampleToolServer({ sandbox, allowedHosts: [docs.host], maxBytes: 1024 });
    client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(tools.url));
    closers.push(
      () => client.close(),
      tools.close,
      () => {
        docs.server.closeAllConnections();
        docs.server.close();
      },
    );
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await rm(home, { recursive: true, force: true });
  });

  it('reads and lists inside the sandbox', async () => {
    expect(textOf(await call(client, 'read_file', { path: 'notes/file-2.txt' }))).toBe('Note 2.\n');
    expect(textOf(await call(client, 'list_dir', { path: '.' }))).toBe('escape\nlogs/\nnotes/\npapers/');
  });

  it('refuses paths that leave the sandbox, directly or through a symlink', async () => {
    for (const path of [
      '../outside.txt',
      '/../../outside.txt',
      'escape/outside.txt',
      'notes/../../outside.txt',
    ]) {
      const result = await call(client, 'read_file', { path });
      expect(result.isError, path).toBe(true);
      expect(textOf(result), path).toMatch(/outside the sandbox/);
    }
    // An absolute path is read inside the sandbox, never from the root of the machine.
    expect(textOf(await call(client, 'read_file', { path: '/etc/passwd' }))).toBe(
      'no such file or directory',
    );
  });

  it('writes notes without following symlinks and rejects unsafe names', async () => {
    expect(textOf(await call(client, 'write_note', { name: 'plan', text: 'isolate' }))).toBe(
      'wrote notes/plan.md (7 bytes)',
    );
    expect(textOf(await call(client, 'read_file', { path: 'notes/plan.md' }))).toBe('isolate');
    await symlink(join(home, 'outside.txt'), join(home, 'sandbox', 'notes', 'trap.md'));
    const trapped = await call(client, 'write_note', { name: 'trap', text: 'overwrite' });
    expect(trapped.isError).toBe(true);
    const badName = await call(client, 'write_note', { name: '../x', text: 'x' });
    expect(badName.isError).toBe(true);
  });

  it('fetches only from allowlisted hosts and does not follow the caller elsewhere', async () => {
    expect(textOf(await call(client, 'web_fetch', { url: `http://${docsHost}/a` }))).toContain(
      'docs page /a',
    );
    const off = await call(client, 'web_fetch', { url: 'http://exfil.example.net/' });
    expect(textOf(off)).toBe('host exfil.example.net is not on the allowlist');
    const scheme = await call(client, 'web_fetch', { url: 'file:///etc/passwd' });
    expect(textOf(scheme)).toMatch(/only http and https/);
  });

  it('refuses files larger than the limit', async () => {
    await writeFile(join(home, 'sandbox', 'notes', 'big.txt'), 'x'.repeat(2048));
    expect(textOf(await call(client, 'read_file', { path: 'notes/big.txt' }))).toMatch(
      /larger than 1024 bytes/,
    );
  });
});

describe('example tool server options', () => {
  it('are validated, naming the option', async () => {
    await expect(startExampleToolServer({ sandbox: '', allowedHosts: [] })).rejects.toThrow(
      /example tool server options\.sandbox/,
    );
    await expect(
      startExampleToolServer({ sandbox: '/tmp/x', allowedHosts: [], maxBytes: 0 }),
    ).rejects.toThrow(/example tool server options\.maxBytes/);
  });
});
