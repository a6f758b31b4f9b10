// JSON-RPC error answers for what never reaches an MCP handler: refused sessions, and request
// bodies that cannot be read. Express's own error page would send HTML with a stack trace (and the
// server's absolute paths) to anyone, token or not.
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';

/** JSON-RPC 2.0 error codes the gateway answers with. */
export const JSON_RPC_PARSE_ERROR = -32700;
export const JSON_RPC_INTERNAL_ERROR = -32603;
/** Server-defined: a request the gateway refuses (no session, too many sessions). */
export const JSON_RPC_SERVER_ERROR = -32000;

/** Sends a JSON-RPC error object with `id: null` (the request's id is unknown or unreadable). */
export function jsonRpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** What body-parser (express.json) puts on its errors: a `type` and an HTTP status. */
interface BodyParserError {
  readonly type: string;
  readonly status: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  if (typeof error !== 'object' || error === null) return false;
  const { type, status } = error as Record<string, unknown>;
  return typeof type === 'string' && typeof status === 'number' && status >= 400 && status < 500;
}

/** The message for each kind of unreadable body; the client learns what to fix, nothing more. */
const BODY_MESSAGES: Readonly<Record<string, string>> = {
  'entity.parse.failed': 'Parse error',
  'entity.too.large': 'Parse error: request body too large',
  'encoding.unsupported': 'Parse error: unsupported content encoding',
  'charset.unsupported': 'Parse error: unsupported charset',
};

/**
 * The app's last error handler: an unreadable body gets its 4xx status (400 for invalid JSON) with
 * a JSON-RPC parse error; anything else a 500 with a JSON-RPC internal error. Never a stack trace.
 */
export function requestErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (isBodyParserError(error)) {
      logger.warn({ type: error.type, status: error.status, path: req.path }, 'unreadable request body');
      jsonRpcError(res, error.status, JSON_RPC_PARSE_ERROR, BODY_MESSAGES[error.type] ?? 'Parse error');
      return;
    }
    logger.error({ err: error, path: req.path }, 'request failed');
    jsonRpcError(res, 500, JSON_RPC_INTERNAL_ERROR, 'Internal error');
  };
}
