// Redaction of secrets before anything is stored: private keys, JWTs, bearer tokens, well-known API
// key formats, credentials in URLs, password-like key=value pairs, card numbers (Luhn-checked, so
// ordinary long numbers survive), any value under a key that names a secret, and keys that are
// secrets themselves. It runs on the synchronous logging path, so every rule takes time linear in
// its text and every value is bounded (nesting, number of values, length of text): a hostile or
// careless caller can neither stall the logger nor slip a secret past a limit.
import { isHarombeError, messageOf } from '@harombe/models';
import { AuditInputError } from './errors.js';

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

/**
 * What replaced a value past a limit: `too-deep` (nested deeper than `maxDepth`), `too-large` (past
 * `maxValues` values or `maxTextLength` characters), `truncated` (the end of a string longer than
 * `maxStringLength`).
 */
export type LimitKind = 'too-deep' | 'too-large' | 'truncated';

/** A value as stored: what JSON can hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The bounds {@link redactValue} applies to each value it is given (the metadata, the tool arguments). */
export const REDACTION_LIMITS = Object.freeze({
  /** Levels of nesting below the value; anything deeper becomes `[REDACTED:too-deep]`. */
  maxDepth: 16,
  /** Values (objects, arrays, strings, numbers...) kept; the rest becomes `[REDACTED:too-large]`. */
  maxValues: 10_000,
  /** Characters kept of one string or key; a longer one ends in `[REDACTED:truncated]`. */
  maxStringLength: 16_384,
  /** Characters kept of all strings and keys together; past it strings become `[REDACTED:too-large]`. */
  maxTextLength: 262_144,
  /** Characters kept of an object key. */
  maxKeyLength: 256,
});

const mark = (kind: SecretKind | LimitKind) => `[REDACTED:${kind}]`;
const MARK_PREFIX = '[REDACTED:';
const TOO_DEEP = mark('too-deep');
const TOO_LARGE = mark('too-large');
const TRUNCATED = mark('truncated');
/** A string that is exactly one mark: stored as it is, and not counted against the text budget. */
const MARK = /^\[REDACTED:[a-z-]{1,24}\]$/;
const isMark = (text: string) => text.length <= 40 && text.startsWith(MARK_PREFIX) && MARK.test(text);

/**
 * How far past a string's cut the rules still read, so that a secret straddling the cut is still
 * recognised (and its stored head replaced) without reading all of a huge string.
 */
const SCAN_MARGIN = 1024;

// ---------------------------------------------------------------------------------------------
// Key names. A name is split into lower-cased words at separators, camelCase humps and digits
// (`dbPassword` -> db password, `APIKey` -> api key, `password_confirmation`), and is secret when:
// a word contains password, passwd, passphrase, passcode, secret or credential, or is pwd, otp, cvv
// or cvc; or a word pair or compound names a key (api, access, secret, private, signing, encryption,
// master, session or auth + key); or the last word (English puts the noun last) is token or ends in
// token (accessToken, refresh_token, csrftoken), ends in auth (auth, oauth, basicAuth), or is
// authorization, cookie(s), session, bearer, jwt or pass. So `tokenCount`, `max_tokens`, `token_type`,
// `authMethod`, `sessionId` and `cookieName` are kept: counts, kinds and identifiers, not secrets.
// ---------------------------------------------------------------------------------------------

const SECRET_SUBWORDS = ['password', 'passwd', 'passphrase', 'passcode', 'secret', 'credential'];
/** Words that contain a secret word by accident. */
const NOT_SECRET_WORDS = new Set(['secretary', 'secretaries', 'secretariat']);
const SECRET_WORDS = new Set(['pwd', 'otp', 'cvv', 'cvc']);
const KEY_QUALIFIERS = new Set([
  'api',
  'access',
  'secret',
  'private',
  'signing',
  'encryption',
  'master',
  'session',
  'auth',
]);
const SECRET_LAST_WORDS = new Set(['authorization', 'cookie', 'cookies', 'session', 'bearer', 'jwt', 'pass']);

const SEPARATOR = 0;
const LOWER = 1;
const UPPER = 2;
const DIGIT = 3;

function charClass(code: number): number {
  if (code >= 97 && code <= 122) return LOWER;
  if (code >= 65 && code <= 90) return UPPER;
  if (code >= 48 && code <= 57) return DIGIT;
  return SEPARATOR;
}

/** The lower-cased words of a key name, digits dropped. One pass. */
function keyWords(name: string): string[] {
  const words: string[] = [];
  let start = -1;
  let prev = SEPARATOR;
  const push = (end: number) => {
    if (prev !== DIGIT) words.push(name.slice(start, end).toLowerCase());
  };
  for (let i = 0; i < name.length; i++) {
    const cls = charClass(name.charCodeAt(i));
    if (cls === SEPARATOR) {
      if (start >= 0) push(i);
      start = -1;
    } else if (start < 0) {
      start = i;
    } else if ((cls === DIGIT) !== (prev === DIGIT) || (cls === UPPER && prev === LOWER)) {
      push(i);
      start = i;
    } else if (cls === LOWER && prev === UPPER && i - start > 1) {
      // The end of an acronym: `APIKey` -> `API`, `Key`.
      push(i - 1);
      start = i - 1;
    }
    prev = cls;
  }
  if (start >= 0) push(name.length);
  return words;
}

function namesKey(word: string, previous: string | undefined): boolean {
  if ((word === 'key' || word === 'keys') && previous !== undefined) return KEY_QUALIFIERS.has(previous);
  if (word.endsWith('keys')) return KEY_QUALIFIERS.has(word.slice(0, -4));
  if (word.endsWith('key')) return KEY_QUALIFIERS.has(word.slice(0, -3));
  return false;
}

function wordsNameASecret(words: readonly string[]): boolean {
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (SECRET_WORDS.has(word) || namesKey(word, words[i - 1])) return true;
    if (!NOT_SECRET_WORDS.has(word) && SECRET_SUBWORDS.some((s) => word.includes(s))) return true;
  }
  const last = words[words.length - 1];
  return (
    last !== undefined && (SECRET_LAST_WORDS.has(last) || last.endsWith('token') || last.endsWith('auth'))
  );
}

/** Names longer than this are judged by their last this-many characters (where the noun is). */
const MAX_NAME_LENGTH = 128;
/** Names seen recently and the verdict: the same few keys come with every event. */
const nameVerdicts = new Map<string, boolean>();
const MAX_CACHED_NAMES = 4096;

/**
 * Whether a key (or a `key=value` name in text) names a secret, so that its value is redacted
 * whatever it looks like: `password`, `dbPassword`, `password_confirmation`, `apiSecret`,
 * `secretKey`, `accessToken`, `refresh_token`, `x-api-key`, `Authorization`, `Cookie`. Not:
 * `tokenCount`, `max_tokens`, `sessionId` (see the rules above).
 */
export function isSecretName(name: string): boolean {
  const key = name.length > MAX_NAME_LENGTH ? name.slice(-MAX_NAME_LENGTH) : name;
  let verdict = nameVerdicts.get(key);
  if (verdict === undefined) {
    verdict = wordsNameASecret(keyWords(key));
    if (nameVerdicts.size >= MAX_CACHED_NAMES) nameVerdicts.clear();
    nameVerdicts.set(key, verdict);
  }
  return verdict;
}

/**
 * Whether a key looks like a random token rather than a name: a run of 16 or more letters and
 * digits, mixing both, that is hexadecimal or changes between lower case, upper case and digits
 * more often than every third character (camelCase names such as `s3BucketArnForUsEast1Region`
 * change less often). Hex digests used as keys are caught too; UUIDs (runs of at most 12) are not.
 */
export function looksLikeToken(key: string): boolean {
  let runStart = 0;
  for (let i = 0; i <= key.length; i++) {
    if (i < key.length && charClass(key.charCodeAt(i)) !== SEPARATOR) continue;
    if (i - runStart >= 16 && randomRun(key, runStart, i)) return true;
    runStart = i + 1;
  }
  return false;
}

function randomRun(text: string, from: number, to: number): boolean {
  let digits = 0;
  let hex = true;
  let pieces = 1;
  let prev = charClass(text.charCodeAt(from));
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    const cls = charClass(code);
    if (cls === DIGIT) digits++;
    else if (!((code >= 97 && code <= 102) || (code >= 65 && code <= 70))) hex = false;
    if (i > from && cls !== prev && !(prev === UPPER && cls === LOWER)) pieces++;
    prev = cls;
  }
  const letters = to - from - digits;
  return digits > 0 && letters > 0 && (hex || (to - from) / pieces < 3);
}

// ---------------------------------------------------------------------------------------------
// Text rules. Each regular expression can start a match only at the beginning of a run of the
// characters it consumes (a lookbehind), or consumes a bounded number of characters per start,
// so no run is read more than a few times: linear time whatever the text.
// ---------------------------------------------------------------------------------------------

interface Rule {
  readonly pattern: RegExp;
  readonly replace: (match: string, ...groups: string[]) => string;
}

const RULES: readonly Rule[] = [
  {
    // Unterminated keys are redacted to the end of the text.
    pattern:
      /-----BEGIN [A-Z ]{0,32}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z ]{0,32}PRIVATE KEY(?: BLOCK)?-----|$)/g,
    replace: () => mark('private-key'),
  },
  {
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g,
    replace: () => mark('jwt'),
  },
  {
    pattern: /\b(bearer|token)(\s{1,16})[A-Za-z0-9._~+/-]{8,}=*/gi,
    replace: (_m, scheme: string, space: string) => `${scheme}${space}${mark('bearer-token')}`,
  },
  {
    // OpenAI/Anthropic-style, Stripe, GitHub, Slack, AWS access key ids, Google API keys, npm, GitLab.
    pattern:
      /(?<![A-Za-z0-9_-])(?:sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abposr]-[A-Za-z0-9-]{10,}|(?:AKIA|ASIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}|npm_[A-Za-z0-9]{36}|glpat-[A-Za-z0-9_-]{20,})\b/g,
    replace: () => mark('api-key'),
  },
  {
    // scheme://user:password@host, the user possibly empty (`redis://:password@host`). The password
    // runs to the last `@` before the path, so one with an unencoded `@` goes whole.
    pattern: /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/[^\s/?#@:]*):[^\s/?#]+@/g,
    replace: (_m, prefix: string) => `${prefix}:${mark('url-credentials')}@`,
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

const BACKSLASH = 92;
const NEWLINE = 10;
const isBlank = (code: number) => code === 32 || code === 9;
const isQuote = (code: number) => code === 34 || code === 39 || code === 96;
const isNameChar = (code: number) =>
  charClass(code) !== SEPARATOR || code === 95 || code === 45 || code === 46;
/** Where an unquoted value ends: white space, a quote, `&`, `,`, `;`, `}`. */
const endsValue = (code: number) =>
  code <= 32 || isQuote(code) || code === 38 || code === 44 || code === 59 || code === 125;
/** HTTP authorization schemes: after `Authorization: Basic` the secret is the next word. */
const AUTH_SCHEMES = new Set(['basic', 'bearer', 'digest', 'token', 'negotiate', 'ntlm', 'bot', 'apikey']);
/** Blanks allowed around `=` or `:`, and characters of a name read before it. */
const MAX_BLANKS = 8;
const MAX_ASSIGNED_NAME = 64;

/**
 * Values of `name=value`, `name: value` and `"name": "value"` (also escaped JSON inside a string)
 * whose name is secret ({@link isSecretName}): `DB_PASSWORD=x`, `"apiSecret": "x"`,
 * `Authorization: Basic x`. A hand-written scanner: each `=` or `:` reads at most a bounded name
 * back, and a value forward only when it is replaced, so the text is read a bounded number of times.
 */
function redactAssignments(text: string): string {
  let out = '';
  let copied = 0;
  // The next `:` and `=`, found natively: most text has few of them.
  let colon = text.indexOf(':');
  let equals = text.indexOf('=');
  while (colon >= 0 || equals >= 0) {
    const sign = colon < 0 ? equals : equals < 0 ? colon : Math.min(colon, equals);
    const value = secretValueAt(text, sign, copied);
    if (value !== undefined) {
      out += `${text.slice(copied, value.start)}${mark('password')}`;
      copied = value.end;
    }
    const from = Math.max(sign + 1, copied);
    if (colon >= 0 && colon < from) colon = text.indexOf(':', from);
    if (equals >= 0 && equals < from) equals = text.indexOf('=', from);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * The value after the `:` or `=` at `sign` when the name before it is secret and the value is not
 * empty or already redacted. Reads nothing before `floor` (text already replaced).
 */
function secretValueAt(
  text: string,
  sign: number,
  floor: number,
): { start: number; end: number } | undefined {
  // The name: blanks, an optional (escaped) closing quote, then up to MAX_ASSIGNED_NAME name characters.
  let j = sign - 1;
  for (let blanks = 0; j >= floor && blanks < MAX_BLANKS && isBlank(text.charCodeAt(j)); blanks++) j--;
  if (j >= floor && isQuote(text.charCodeAt(j))) {
    j--;
    if (j >= floor && text.charCodeAt(j) === BACKSLASH) j--;
  }
  const nameEnd = j + 1;
  while (j >= floor && nameEnd - j <= MAX_ASSIGNED_NAME && isNameChar(text.charCodeAt(j))) j--;
  if (j + 1 === nameEnd || !isSecretName(text.slice(j + 1, nameEnd))) return undefined;
  // The value: blanks, then a quoted string (to its closing quote or the end of the line) or a word.
  let start = sign + 1;
  for (
    let blanks = 0;
    start < text.length && blanks < MAX_BLANKS && isBlank(text.charCodeAt(start));
    blanks++
  )
    start++;
  let end = start;
  const first = text.charCodeAt(start);
  if (first === BACKSLASH && isQuote(text.charCodeAt(start + 1))) {
    // An escaped quote (JSON inside a JSON string) closes at the next escaped same quote.
    const quote = text.charCodeAt(start + 1);
    start += 2;
    end = start;
    while (end < text.length && !(text.charCodeAt(end) === BACKSLASH && text.charCodeAt(end + 1) === quote))
      end++;
  } else if (isQuote(first)) {
    start++;
    end = start;
    while (end < text.length) {
      const code = text.charCodeAt(end);
      if (code === first || code === NEWLINE) break;
      end += code === BACKSLASH ? 2 : 1;
    }
    end = Math.min(end, text.length);
  } else {
    while (end < text.length && !endsValue(text.charCodeAt(end))) end++;
    // `Authorization: Basic dXNlcjpw`: keep the scheme, replace the credentials after it.
    if (
      text.charCodeAt(end) === 32 &&
      end + 1 < text.length &&
      !endsValue(text.charCodeAt(end + 1)) &&
      AUTH_SCHEMES.has(text.slice(start, end).toLowerCase())
    ) {
      start = end + 1;
      end = start;
      while (end < text.length && !endsValue(text.charCodeAt(end))) end++;
    }
  }
  return end > start && !text.startsWith(MARK_PREFIX, start) ? { start, end } : undefined;
}

/** Replaces every secret found in a text. Linear in the length of the text. */
export function redactText(text: string): string {
  let out = text;
  for (const rule of RULES)
    out = out.replace(rule.pattern, rule.replace as (m: string, ...g: string[]) => string);
  return redactAssignments(out);
}

// ---------------------------------------------------------------------------------------------
// Values.
// ---------------------------------------------------------------------------------------------

/** One call's budget and where it is, for limits and for errors that name the field. */
interface Walk {
  values: number;
  text: number;
  readonly subject: string;
  /** Objects and arrays from the root to here: a value among them is a cycle. */
  readonly ancestors: object[];
  /** Keys (as stored) and indexes from the root to here. */
  readonly path: Array<string | number>;
}

const PLAIN_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;

/** A key as an error message may show it: never a secret, at most 64 characters. */
function pathSegment(key: string): string {
  if (key.startsWith(MARK_PREFIX)) return key;
  if (key.length > REDACTION_LIMITS.maxKeyLength || looksLikeToken(key) || redactText(key) !== key) {
    return mark('secret');
  }
  return key.length > 64 ? `${key.slice(0, 64)}…` : key;
}

/** `toolCall.arguments.headers["x-api-key"][2]`. Built only when an error is thrown. */
function formatPath(subject: string, path: ReadonlyArray<string | number>): string {
  let text = subject;
  for (const segment of path) {
    if (typeof segment === 'number') {
      text += `[${segment}]`;
      continue;
    }
    const key = pathSegment(segment);
    text += PLAIN_NAME.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  }
  return text;
}

function notJson(walk: Walk): AuditInputError {
  return new AuditInputError('AUDIT_NOT_JSON', formatPath(walk.subject, walk.path), 'BigInt is not JSON');
}

/** `ancestor`: the index in `walk.ancestors` of the object reached again. */
function cyclic(walk: Walk, ancestor: number): AuditInputError {
  // The newest ancestor is the value at the path minus its last segment, the one before it one less...
  const back = walk.path.slice(0, walk.path.length - (walk.ancestors.length - ancestor));
  return new AuditInputError(
    'AUDIT_CYCLIC',
    formatPath(walk.subject, walk.path),
    `cyclic reference (back to ${formatPath(walk.subject, back)})`,
  );
}

/** A string redacted and cut to what the walk has room for; counted against the walk's text. */
function boundedText(text: string, maxLength: number, walk: Walk): string {
  if (isMark(text)) return text;
  const room = Math.min(maxLength, REDACTION_LIMITS.maxTextLength - walk.text);
  if (room <= TRUNCATED.length) return TOO_LARGE;
  const cut = text.length > room + SCAN_MARGIN;
  let out = redactText(cut ? text.slice(0, room + SCAN_MARGIN) : text);
  if (cut || out.length > room) out = out.slice(0, room - TRUNCATED.length) + TRUNCATED;
  // Marks are not counted, so that redacting the result again counts (and cuts) the same.
  if (!isMark(out)) walk.text += out.length;
  return out;
}

/** A key redacted: a mark when it looks like a token, else its text redacted and bounded. */
function redactedKey(key: string, walk: Walk): string {
  if (looksLikeToken(key.slice(0, REDACTION_LIMITS.maxKeyLength + SCAN_MARGIN))) return mark('secret');
  return boundedText(key, REDACTION_LIMITS.maxKeyLength, walk);
}

/** Short keys seen recently, redacted: every event brings the same few. */
const redactedKeys = new Map<string, string>();
const MAX_CACHED_KEY_LENGTH = 64;

/** A key as stored: redacted when it is (or holds) a secret, bounded, and unique in `out`. */
function storedKey(
  key: string,
  out: Record<string, JsonValue>,
  walk: Walk,
  suffixes: Map<string, number>,
): string {
  let name: string;
  if (key.startsWith(MARK_PREFIX)) name = key;
  else if (
    key.length <= MAX_CACHED_KEY_LENGTH &&
    REDACTION_LIMITS.maxTextLength - walk.text >= REDACTION_LIMITS.maxKeyLength
  ) {
    // With this much room nothing is cut, so the redacted key is the same every time.
    const cached = redactedKeys.get(key);
    if (cached === undefined) {
      name = redactedKey(key, walk);
      if (redactedKeys.size >= MAX_CACHED_NAMES) redactedKeys.clear();
      redactedKeys.set(key, name);
    } else {
      name = cached;
      if (!isMark(name)) walk.text += name.length;
    }
  } else name = redactedKey(key, walk);
  if (name === key || !Object.hasOwn(out, name)) return name;
  // Two keys redacted alike must not overwrite each other's values.
  let n = suffixes.get(name) ?? 1;
  let unique: string;
  do unique = `${name}#${++n}`;
  while (Object.hasOwn(out, unique));
  suffixes.set(name, n);
  return unique;
}

function setOwn(out: Record<string, JsonValue>, key: string, value: JsonValue): void {
  // `__proto__` is data here, not the object's prototype.
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true });
  else out[key] = value;
}

/** A value JSON would leave out of an object (an array holds null instead). */
const omitted = (value: unknown) =>
  value === undefined || typeof value === 'function' || typeof value === 'symbol';

function walkValue(value: unknown, depth: number, walk: Walk): JsonValue | undefined {
  if (typeof value === 'string' && isMark(value)) return value;
  if (depth > REDACTION_LIMITS.maxDepth) return TOO_DEEP;
  if (walk.values >= REDACTION_LIMITS.maxValues) return TOO_LARGE;
  walk.values++;
  switch (typeof value) {
    case 'string':
      return boundedText(value, REDACTION_LIMITS.maxStringLength, walk);
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      return value;
    case 'bigint':
      throw notJson(walk);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  // As JSON.stringify: `toJSON` first (a Date becomes its ISO string), boxed primitives unboxed.
  let object = value as object;
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const json: unknown = toJSON.call(object, '');
    if (json === null || typeof json !== 'object') {
      walk.values--;
      return walkValue(json, depth, walk);
    }
    object = json;
  }
  if (object instanceof Number || object instanceof String || object instanceof Boolean) {
    walk.values--;
    return walkValue(object.valueOf(), depth, walk);
  }
  if (object instanceof BigInt) throw notJson(walk);
  const ancestor = walk.ancestors.indexOf(object);
  if (ancestor >= 0) throw cyclic(walk, ancestor);
  walk.ancestors.push(object);
  const stored = Array.isArray(object) ? walkArray(object, depth, walk) : walkObject(object, depth, walk);
  walk.ancestors.pop();
  return stored;
}

function walkArray(array: readonly unknown[], depth: number, walk: Walk): JsonValue[] {
  const out: JsonValue[] = [];
  for (let i = 0; i < array.length; i++) {
    if (walk.values >= REDACTION_LIMITS.maxValues) {
      out.push(TOO_LARGE);
      break;
    }
    walk.path.push(i);
    out.push(walkValue(array[i], depth + 1, walk) ?? null);
    walk.path.pop();
  }
  return out;
}

function walkObject(object: object, depth: number, walk: Walk): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  const record = object as Record<string, unknown>;
  const suffixes = new Map<string, number>();
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const item = record[key];
    if (omitted(item)) continue;
    if (walk.values >= REDACTION_LIMITS.maxValues) {
      out[TOO_LARGE] = TOO_LARGE;
      break;
    }
    const name = storedKey(key, out, walk, suffixes);
    let stored: JsonValue | undefined;
    if (item !== null && item !== '' && !key.startsWith(MARK_PREFIX) && isSecretName(key)) {
      stored = mark('secret');
    } else {
      walk.path.push(name);
      stored = walkValue(item, depth + 1, walk);
      walk.path.pop();
    }
    if (stored !== undefined) setOwn(out, name, stored);
  }
  return out;
}

/**
 * A JSON-safe copy of a value with its secrets redacted: strings scanned with {@link redactText},
 * values under secret-naming keys ({@link isSecretName}) replaced whole, keys that are secrets
 * (a JWT, an API key, a random-looking token: {@link looksLikeToken}) replaced, and the result
 * bounded by {@link REDACTION_LIMITS}. As in JSON: `toJSON` is called (dates become ISO strings),
 * `undefined`, functions and symbols are left out of objects (null in arrays), non-finite numbers
 * become null. Shared references are copied (within the limits); the input is not changed.
 * Redacting a redacted value changes nothing. Time and memory are bounded by the limits.
 *
 * @param subject what the value is, for errors: `toolCall.arguments`.
 * @throws {AuditInputError} `AUDIT_NOT_JSON` for a BigInt, `AUDIT_CYCLIC` for a value that contains
 *   itself (within `maxDepth`), naming the field: `toolCall.arguments.limit: BigInt is not JSON`.
 * @example redactValue({ user: 'alice', dbPassword: 'hunter2' }) // { user: 'alice', dbPassword: '[REDACTED:secret]' }
 */
export function redactValue(value: unknown, subject = 'value'): JsonValue {
  try {
    return walkValue(value, 0, { values: 0, text: 0, subject, ancestors: [], path: [] }) ?? null;
  } catch (error) {
    // What the value itself throws while it is read (a getter, a proxy trap, a revoked proxy, a
    // `toJSON` that fails) is bad input like a BigInt: typed, naming the value, never a crash.
    if (isHarombeError(error)) throw error;
    throw new AuditInputError('AUDIT_NOT_JSON', subject, `could not be read: ${messageOf(error)}`);
  }
}
