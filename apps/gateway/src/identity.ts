// Agent identity: a bearer token, mapped to an agent id by configuration. Tokens are kept only as
// SHA-256 digests, so a lookup compares digests, never the secret itself.
import { createHash } from 'node:crypto';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { GatewayConfig } from './config.js';

/** How long a verified static token counts as valid (the SDK's bearer check wants an expiry). */
const STATIC_TOKEN_LIFETIME_S = 3600;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The SDK's token verifier over the configured agents: `clientId` of the result is the agent id. */
export class StaticTokenVerifier implements OAuthTokenVerifier {
  private readonly agentByDigest = new Map<string, string>();

  constructor(agents: GatewayConfig['agents']) {
    for (const agent of agents) {
      const digest = agent.tokenSha256?.toLowerCase() ?? sha256Hex(agent.token!);
      if (this.agentByDigest.has(digest)) {
        throw new Error(
          `gateway config: agents ${this.agentByDigest.get(digest)} and ${agent.agentId} share a token`,
        );
      }
      this.agentByDigest.set(digest, agent.agentId);
    }
  }

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const agentId = this.agentByDigest.get(sha256Hex(token));
    if (agentId === undefined) throw new InvalidTokenError('Unknown token');
    return {
      token,
      clientId: agentId,
      scopes: [],
      expiresAt: Math.floor(Date.now() / 1000) + STATIC_TOKEN_LIFETIME_S,
    };
  }
}
