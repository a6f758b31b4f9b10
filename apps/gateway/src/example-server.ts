// An example upstream MCP tool server with a few real tools: read a file and list a directory inside
// a sandbox, write a note, fetch a URL whose host is on an allowlist. Each tool refuses what it must
// (paths that leave the sandbox, symlinks out of it, hosts off the list, oversized bodies) itself: the
// gateway's detector is a second line, not the only one.
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, realpath } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseOrThrow } from '@harombe/models';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Express } from 'express';
import { z } from 'zod';

export interface ToolServerOptions {
  /** The directory the file tools may read and write (created if missing). */
  readonly sandbox: string;
  /** Hosts (`host` or `host:port`) that `web_fetch` may contact. */
  readonly allowedHosts: readonly string[];
  /** Largest file or response body returned, in bytes. Default 256 KiB. */
  readonly maxBytes?: number;
  /** Timeout of `web_fetch`, in ms. Default 5000. */
  readonly fetchTimeoutMs?: number;
}

const DEFAULT_MAX_BYTES = 256 * 1024;

const ToolServerOptionsSchema = z
  .object({
    sandbox: z.string().min(1),
    allowedHosts: z.array(z.string().min(1)),
    maxBytes: z.number().int().min(1).optional(),
    fetchTimeoutMs: z.number().int().min(1).optional(),
    port: z.number().int().min(0).max(65_535).optional(),
    host: z.string().min(1).optional(),
  })
  .strict();

class ToolRefusal extends Error {}

function text(value: string): CallToolResult {
  return { content: [{ type: 'text', text: value }] };
}

function refusal(message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: message }] };
}

/** Runs a tool body; refusals and I/O errors become error results, not protocol errors. */
async function guarded(body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof ToolRefusal) return refusal(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    return refusal(code === 'ENOENT' ? 'no such file or directory' : `failed: ${(error as Error).message}`);
  }
}

/**
 * Resolves a sandbox-relative path to the real path of an existing entry inside the sandbox, or
 * refuses. Symlinks are followed and must land inside the sandbox too.
 */
async function insideSandbox(root: string, path: string): Promise<string> {
  if (path.includes('\0')) throw new ToolRefusal('path contains a NUL byte');
  const outside = (p: string) => {
    const rel = relative(root, p);
    return rel.startsWith('..') || isAbsolute(rel);
  };
  const refuse = () => new ToolRefusal(`path ${path} is outside the sandbox`);
  const candidate = resolve(root, isAbsolute(path) ? `.${sep}${path}` : path);
  if (outside(candidate)) throw refuse();
  const real = await realpath(candidate);
  if (outside(real)) throw refuse();
  return real;
}

/** Registers the example tools on an MCP server. */
export function registerExampleTools(server: McpServer, root: string, options: ToolServerOptions): void {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const allowed = new Set(options.allowedHosts.map((h) => h.toLowerCase()));

  server.registerTool(
    'read_file',
    {
      description: 'Reads a UTF-8 text file inside the sandbox.',
      inputSchema: { path: z.string().min(1).max(4096).describe('path relative to the sandbox') },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ path }) =>
      guarded(async () => {
        const real = await insideSandbox(root, path);
        const info = await lstat(real);
        if (!info.isFile()) throw new ToolRefusal(`${path} is not a file`);
        if (info.size > maxBytes) throw new ToolRefusal(`${path} is larger than ${maxBytes} bytes`);
        return text(await readFile(real, 'utf8'));
      }),
  );

  server.registerTool(
    'list_dir',
    {
      description: 'Lists a directory inside the sandbox (directories end with /).',
      inputSchema: {
        path: z.string().min(1).max(4096).default('.').describe('directory relative to the sandbox'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ path }) =>
      guarded(async () => {
        const real = await insideSandbox(root, path);
        const entries = await readdir(real, { withFileTypes: true });
        const names = entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.name)).sort();
        return text(names.join('\n'));
      }),
  );

  server.registerTool(
    'write_note',
    {
      description:
        'Writes a note (UTF-8 text) as notes/<name>.md inside the sandbox, replacing one of that name.',
      inputSchema: {
        name: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only')
          .describe('the note name'),
        text: z.string().max(64 * 1024),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    ({ name, text: body }) =>
      guarded(async () => {
        await mkdir(join(root, 'notes'), { recursive: true, mode: 0o700 });
        // The directory must really be inside (not a symlink out), and the note is never a symlink.
        const directory = await insideSandbox(root, 'notes');
        const file = await open(
          join(directory, `${name}.md`),
          constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
          0o600,
        );
        try {
          await file.writeFile(body, 'utf8');
        } finally {
          await file.close();
        }
        return text(`wrote notes/${name}.md (${Buffer.byteLength(body)} bytes)`);
      }),
  );

  server.registerTool(
    'web_fetch',
    {
      description: 'Fetches an http(s) URL whose host is on the allowlist; returns the body as text.',
      inputSchema: { url: z.string().url().max(4096) },
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    ({ url }) =>
      guarded(async () => {
        const target = new URL(url);
        if (target.protocol !== 'http:' && target.protocol !== 'https:') {
          throw new ToolRefusal(`only http and https URLs are fetched, not ${target.protocol}`);
        }
        if (!allowed.has(target.host.toLowerCase()) && !allowed.has(target.hostname.toLowerCase())) {
          throw new ToolRefusal(`host ${target.host} is not on the allowlist`);
        }
        // Redirects are not followed: they could lead off the allowlist.
        const response = await fetch(target, {
          redirect: 'manual',
          signal: AbortSignal.timeout(options.fetchTimeoutMs ?? 5000),
        });
        const body = await response.text();
        if (Buffer.byteLength(body) > maxBytes)
          throw new ToolRefusal(`response larger than ${maxBytes} bytes`);
        if (!response.ok) return refusal(`HTTP ${response.status} from ${target.host}`);
        return text(body);
      }),
  );
}

/** The example tool server over Streamable HTTP (stateless: a fresh MCP server per request). */
export async function createExampleToolServer(input: ToolServerOptions): Promise<Express> {
  const options = parseOrThrow(ToolServerOptionsSchema, input, 'example tool server options');
  await mkdir(options.sandbox, { recursive: true, mode: 0o700 });
  const root = await realpath(options.sandbox);
  const app = createMcpExpressApp();
  app.post('/mcp', async (req, res) => {
    const server = new McpServer({ name: 'harombe-example-tools', version: '1.0.0' });
    registerExampleTools(server, root, options);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  const notAllowed = (_req: unknown, res: { status: (n: number) => { json: (v: unknown) => void } }) =>
    res
      .status(405)
      .json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed' }, id: null });
  app.get('/mcp', notAllowed);
  app.delete('/mcp', notAllowed);
  return app;
}

/** Starts the example tool server on a loopback port; resolves to its URL and a close function. */
export async function startExampleToolServer(
  options: ToolServerOptions & { port?: number; host?: string },
): Promise<{ url: URL; close: () => Promise<void> }> {
  const app = await createExampleToolServer(options);
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<HttpServer>((done, fail) => {
    const s = app.listen(options.port ?? 0, host, (error?: Error) => (error ? fail(error) : done(s)));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://${host}:${port}/mcp`),
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
