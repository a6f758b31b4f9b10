// Redaction of secrets before anything is stored: private keys, JWTs, bearer tokens, well-known API
// key formats, credentials in URLs, password-like key=value pairs, card numbers (Luhn-checked, so
// ordinary long numbers survive), and any value under a key that names a secret.

/** What replaced a secret: `[REDACTED:kind]`. */
export type SecretKind =
  | 'private-key'
  | 'jwt'
  | 'bearer-token'
  | 'api-key'
  | 'url-credentials'
  | 'password'
  | 'card-number'
  | 'secret';

const mark = (kind: SecretKind) => `[REDACTED:${kind}]`;

/** Object keys whose values are secrets whatever they look like. */
const SECRET_KEY =
  /^(?:.*[_-])?(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|authorization|auth|cookie|session[_-]?token|credentials?)$/i;

interface Rule {
  readonly pattern: RegExp;
  readonly replace: (match: string, ...groups: string[]) => string;
}

const RULES: readonly Rule[] = [
  {
    pattern:
      /-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----|$)/g,
    replace: () => mark('private-key'),
  },
  { pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, replace: () => mark('jwt') },
  {
    pattern: /\b(bearer|token)(\s+)[A-Za-z0-9._~+/-]{8,}=*/gi,
    replace: (_m, scheme: string, space: string) => `${scheme}${space}${mark('bearer-token')}`,
  },
  {
    // OpenAI/Anthropic-style, Stripe, GitHub, Slack, AWS access key ids, Google API keys, npm, GitLab.
    pattern:
      /\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abposr]-[A-Za-z0-9-]{10,}|(?:AKIA|ASIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}|npm_[A-Za-z0-9]{36}|glpat-[A-Za-z0-9_-]{20,})\b/g,
    replace: () => mark('api-key'),
  },
  {
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]+):[^\s/@]+@/gi,
    replace: (_m, prefix: string) => `${prefix}:${mark('url-credentials')}@`,
  },
  {
    // key=value, key: value, "key": "value" for password-like keys.
    pattern:
      /(["']?\b(?:password|passwd|pwd|passphrase|secret|client_secret|api[_-]?key|access[_-]?token|refresh[_-]?token|auth[_-]?token)\b["']?\s*[:=]\s*)(["']?)([^\s"'&,;}]+)/gi,
    replace: (_m, key: string, quote: string) => `${key}${quote}${mark('password')}`,
  },
  {
    pattern: /\b[3-6]\d(?:[ -]?\d){11,17}\b/g,
    replace: (match) => (luhn(match.replace(/[ -]/g, '')) ? mark('card-number') : match),
  },
];

/** The Luhn checksum of a digit string (card numbers pass it). */
export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Replaces every secret found in a text. */
export function redactText(text: string): string {
  let out = text;
  for (const rule of RULES)
    out = out.replace(rule.pattern, rule.replace as (m: string, ...g: string[]) => string);
  return out;
}

const MAX_DEPTH = 16;

/**
 * Redacts a JSON-like value: strings are scanned, values under secret-naming keys are replaced whole,
 * arrays and objects are walked (to a depth of 16). Returns a new value; the input is not changed.
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] =
      SECRET_KEY.test(key) && v !== null && v !== undefined && v !== ''
        ? mark('secret')
        : redactValue(v, depth + 1);
  }
  return out;
}
