// A catalogue of credential and secret locations (SSH keys, cloud and container credentials, `.env`
// files, shadow/passwd, service-account tokens, browser and git credential stores, key files): an
// indicator beside what is learned per agent. Users extend it or replace it; it is versioned, so an
// explanation can say which catalogue an entry came from.
import { z } from 'zod';
import { HarombeError } from './errors.js';
import { messageOf } from './validation.js';

/** One kind of sensitive location: an id (named in explanations), what it is, and path globs. */
export interface SensitiveLocation {
  /** Lower-case id, e.g. `ssh-key`; named in explanations (`catalogue: ssh-key`). */
  readonly id: string;
  readonly description: string;
  /**
   * Globs over `/`-separated paths (a `\` in an event's path is read as `/`), matched case-insensitively:
   * `*` any characters within a segment, `**` any number of segments, `?` one character. A glob that
   * starts with `/` matches whole paths; any other matches a path's trailing segments
   * (`.ssh/id_*` matches `/home/ana/.ssh/id_rsa`). `~/` stands for any home directory.
   */
  readonly patterns: readonly string[];
}

export interface SensitiveCatalogue {
  /** The catalogue's name and version, e.g. `harombe/1`. */
  readonly version: string;
  readonly entries: readonly SensitiveLocation[];
}

const GLOB_LIMIT = 256;
export const SensitiveLocationSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'expected a lower-case id such as ssh-key'),
    description: z.string().min(1).max(500),
    patterns: z
      .array(
        z
          .string()
          .min(1)
          .max(GLOB_LIMIT)
          .refine((glob) => !/[\0\r\n]/.test(glob), 'a glob holds no NUL or line break')
          // Stars within a name are matched without backtracking (see globSource); the `**` and the
          // last star of each name remain loops in the compiled pattern, and a few of them keep
          // matching fast.
          .refine(
            (glob) => (glob.match(/\*+|\?/g)?.length ?? 0) <= 8,
            'a glob holds at most 8 wildcards (* ** ?)',
          ),
      )
      .min(1)
      .max(100),
  })
  .strict();

export const SensitiveCatalogueSchema = z
  .object({
    version: z.string().min(1).max(100),
    entries: z.array(SensitiveLocationSchema).max(1000),
  })
  .strict();

/** A catalogue (or an entry of one) could not be read; `entry` names the entry at fault, if one is. */
export class SensitiveCatalogueError extends HarombeError<'CATALOGUE_INVALID'> {
  constructor(
    message: string,
    readonly entry: string | undefined,
  ) {
    super('CATALOGUE_INVALID', message);
  }
}

/** The catalogue shipped with harombe. Its version changes whenever an entry does. */
export const DEFAULT_SENSITIVE_CATALOGUE: SensitiveCatalogue = Object.freeze({
  version: 'harombe/1',
  entries: Object.freeze([
    {
      id: 'ssh-key',
      description: 'SSH private keys and authorised keys',
      patterns: ['.ssh/id_*', '.ssh/*_key', '.ssh/authorized_keys*', '/etc/ssh/ssh_host_*key', '.ssh/*.pem'],
    },
    {
      id: 'cloud-credentials',
      description: 'cloud provider credentials',
      patterns: [
        '.aws/credentials',
        '.aws/config',
        '.aws/sso/cache/*',
        '.config/gcloud/**',
        'application_default_credentials.json',
        '.azure/**',
        '.oci/config',
        '.config/doctl/config.yaml',
      ],
    },
    {
      id: 'container-credentials',
      description: 'container registry and cluster credentials',
      patterns: [
        '.docker/config.json',
        '.kube/config',
        '/etc/kubernetes/admin.conf',
        '/etc/kubernetes/pki/**',
        '/etc/rancher/k3s/k3s.yaml',
      ],
    },
    {
      id: 'service-account-token',
      description: 'service-account tokens and mounted secrets',
      patterns: ['/var/run/secrets/**', '/run/secrets/**'],
    },
    {
      id: 'env-file',
      description: 'environment files holding secrets',
      patterns: ['.env', '.env.*', '*.env'],
    },
    {
      id: 'system-accounts',
      description: 'system account and password databases',
      patterns: [
        '/etc/shadow',
        '/etc/gshadow',
        '/etc/passwd',
        '/etc/master.passwd',
        '/etc/sudoers',
        '/etc/sudoers.d/*',
        '/etc/security/opasswd',
      ],
    },
    {
      id: 'git-credentials',
      description: 'git and netrc credential stores',
      patterns: ['.git-credentials', '.config/git/credentials', '.netrc', '_netrc', '.config/gh/hosts.yml'],
    },
    {
      id: 'browser-credentials',
      description: 'browser password and cookie stores',
      patterns: [
        'Login Data',
        'Login Data For Account',
        'logins.json',
        'key3.db',
        'key4.db',
        'Cookies',
        'cookies.sqlite',
        'Local State',
      ],
    },
    {
      id: 'package-tokens',
      description: 'package registry tokens',
      patterns: [
        '.npmrc',
        '.pypirc',
        '.gem/credentials',
        '.cargo/credentials*',
        '.config/pip/pip.conf',
        '.m2/settings.xml',
      ],
    },
    {
      id: 'key-file',
      description: 'private keys, certificates with keys, keystores',
      patterns: [
        '*.pem',
        '*.key',
        '*.p12',
        '*.pfx',
        '*.jks',
        '*.keystore',
        '*.ppk',
        '*.kdbx',
        '.gnupg/**',
        '.password-store/**',
      ],
    },
    {
      id: 'shell-history',
      description: 'shell and database client histories (often hold secrets)',
      patterns: ['.bash_history', '.zsh_history', '.psql_history', '.mysql_history', '.python_history'],
    },
    {
      id: 'vault-token',
      description: 'secret manager tokens',
      patterns: [
        '.vault-token',
        '.config/op/config',
        '.terraform.d/credentials.tfrc.json',
        'terraform.tfstate',
      ],
    },
  ] satisfies SensitiveLocation[]),
});

const HOME = '(?:/home/[^/]+|/root|/users/[^/]+|/var/lib/[^/]+|~)';

function globSource(glob: string): string {
  // `**/**/` is `**/` (repeated, it would make the pattern backtrack on paths it does not match).
  let text = glob
    .replace(/\\/g, '/')
    .toLowerCase()
    .replace(/(?:\*\*\/)+/g, '**/')
    .replace(/\*{3,}/g, '**');
  let anchored = text.startsWith('/');
  let prefix = '';
  if (text.startsWith('~/')) {
    prefix = HOME;
    text = text.slice(1);
    anchored = true;
  }
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '*' && text[i + 1] === '*') {
      // `**/` any number of segments; a trailing `**` anything below.
      if (text[i + 2] === '/') {
        out += '(?:[^/]*/)*';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') {
      // `*chunk*`: the chunk at its first place will do (later chunks only need room after it), so
      // it is matched once and kept (a lookahead and a back-reference: an atomic group). Left to
      // backtrack, k such stars in a name try every way of splitting it k ways.
      const end = chunkEnd(text, i + 1);
      if (end > i + 1 && text[end] === '*' && text[end + 1] !== '*') {
        const group = `g${++atomicGroups}`;
        out += `(?=(?<${group}>[^/]*?${chunkSource(text.slice(i + 1, end))}))\\k<${group}>`;
        i = end - 1;
      } else out += '[^/]*';
    } else out += chunkSource(c);
  }
  return anchored ? `^${prefix}${out}$` : `(?:^|/)${out}$`;
}

/** Named groups made so far (names stay unique in any pattern joined from several globs). */
let atomicGroups = 0;

/** Where the chunk of a segment starting at `from` ends: at the next `*`, `/` or the end. */
function chunkEnd(text: string, from: number): number {
  let end = from;
  while (end < text.length && text[end] !== '*' && text[end] !== '/') end++;
  return end;
}

/** A chunk of literal characters and `?`, as a pattern. */
function chunkSource(chunk: string): string {
  let out = '';
  for (const c of chunk) out += c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return out;
}

/** A glob split for matching: by the file name alone, or by the directory then the whole path. */
function splitGlob(glob: string): { base?: string; directory?: string; whole?: string } {
  const text = glob.replace(/\\/g, '/');
  const slash = text.lastIndexOf('/');
  if (slash < 0 && !text.startsWith('~')) return { base: `^${globSource(text).slice('(?:^|/)'.length)}` };
  const parent = text.slice(0, slash);
  const below = text.slice(slash + 1) === '**';
  // The directories a file it matches can sit in: the parent itself, or (for `**`) anything below.
  const directory =
    parent === '' ? '^$' : globSource(below ? `${parent}/**` : parent).replace(/\$$/, below ? '' : '$');
  return {
    directory: below ? directory.replace(/\/\.\*$/, '(?:/.*)?$') : directory,
    whole: globSource(text),
  };
}

/**
 * The catalogue, validated, or a {@link SensitiveCatalogueError} naming the entry at fault; a
 * catalogue whose reading throws (a getter, a proxy) is refused the same way.
 */
function readCatalogue(catalogue: unknown): z.output<typeof SensitiveCatalogueSchema> {
  let failure: SensitiveCatalogueError | undefined;
  try {
    const parsed = SensitiveCatalogueSchema.safeParse(catalogue);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    const index = issue.path[0] === 'entries' ? issue.path[1] : undefined;
    const entries = (catalogue as { entries?: unknown } | null)?.entries;
    const raw =
      typeof index === 'number' && Array.isArray(entries) ? (entries[index] as { id?: unknown }) : undefined;
    const entry = typeof raw?.id === 'string' ? raw.id : typeof index === 'number' ? `#${index}` : undefined;
    const where = issue.path.map(String).join('.');
    failure = new SensitiveCatalogueError(
      `sensitive-location catalogue${entry === undefined ? '' : ` entry ${JSON.stringify(entry)}`}: ${where ? `${where}: ` : ''}${issue.message}`,
      entry,
    );
  } catch (error) {
    failure = new SensitiveCatalogueError(
      `sensitive-location catalogue could not be read: ${messageOf(error)}`,
      undefined,
    );
  }
  throw failure;
}

/** A catalogue made ready for matching. */
export class SensitiveMatcher {
  readonly version: string;
  /** Globs on file names (exact names, `*suffix`, `prefix*`, others), and on paths (tried only in directories such a glob can reach). */
  private readonly names = new Set<string>();
  private readonly suffixes: string[] = [];
  private readonly prefixes: string[] = [];
  /** Name globs that are neither exact, suffix nor prefix (undefined: none). */
  private readonly otherNames: RegExp | undefined;
  private readonly anyDirectory: RegExp;
  private readonly entries: ReadonlyArray<{
    readonly id: string;
    readonly description: string;
    readonly base: RegExp | undefined;
    readonly whole: RegExp | undefined;
  }>;

  /**
   * @throws {SensitiveCatalogueError} a catalogue that does not parse (naming the entry) or ids used twice.
   */
  constructor(catalogue: SensitiveCatalogue = DEFAULT_SENSITIVE_CATALOGUE) {
    const parsed = readCatalogue(catalogue);
    const seen = new Set<string>();
    for (const entry of parsed.entries) {
      if (seen.has(entry.id))
        throw new SensitiveCatalogueError(
          `sensitive-location catalogue entry "${entry.id}" appears twice`,
          entry.id,
        );
      seen.add(entry.id);
    }
    this.version = parsed.version;
    const others: string[] = [];
    const directories: string[] = [];
    this.entries = parsed.entries.map((entry) => {
      const own = { base: [] as string[], whole: [] as string[] };
      for (const glob of entry.patterns) {
        const lower = glob.toLowerCase();
        const split = splitGlob(lower);
        if (split.base !== undefined) {
          own.base.push(split.base);
          const star = lower.indexOf('*');
          const wild = /[*?]/;
          if (!wild.test(lower)) this.names.add(lower);
          else if (star === 0 && !wild.test(lower.slice(1))) this.suffixes.push(lower.slice(1));
          else if (star === lower.length - 1 && !wild.test(lower.slice(0, -1)))
            this.prefixes.push(lower.slice(0, -1));
          else others.push(split.base);
        }
        if (split.whole !== undefined) own.whole.push(split.whole);
        if (split.directory !== undefined) directories.push(split.directory);
      }
      return {
        id: entry.id,
        description: entry.description,
        base: own.base.length ? new RegExp(own.base.join('|')) : undefined,
        whole: own.whole.length ? new RegExp(own.whole.join('|')) : undefined,
      };
    });
    this.otherNames = others.length ? new RegExp(others.join('|')) : undefined;
    this.anyDirectory = directories.length ? new RegExp(directories.join('|')) : /(?!)/;
  }

  /** Whether a file name (lower-cased) matches any of the catalogue's name globs. */
  namesMatch(base: string): boolean {
    if (this.names.has(base)) return true;
    for (const suffix of this.suffixes) if (base.endsWith(suffix)) return true;
    for (const prefix of this.prefixes) if (base.startsWith(prefix)) return true;
    return this.otherNames?.test(base) === true;
  }

  /**
   * Whether a file in this directory (lower-cased, `/`-separated, without a trailing `/`) could match
   * a glob on paths (callers may cache the answer per directory).
   */
  reaches(directory: string): boolean {
    return this.anyDirectory.test(directory);
  }

  /** The first entry whose globs match the path, or `undefined`. */
  match(path: string): { readonly id: string; readonly description: string } | undefined {
    const text = normalise(path);
    const slash = text.lastIndexOf('/');
    return this.matchParts(
      text,
      slash < 0 ? '' : text.slice(0, slash),
      slash < 0 ? undefined : this.reaches(text.slice(0, slash)),
    );
  }

  /**
   * {@link match} for a path already normalised (`normalise`), with its directory part and, if known,
   * whether that directory is {@link reaches reached}.
   */
  matchParts(
    text: string,
    directory: string,
    reached: boolean | undefined,
  ): { readonly id: string; readonly description: string } | undefined {
    const base = text.slice(text.lastIndexOf('/') + 1);
    const byBase = this.namesMatch(base);
    const byPath = reached ?? this.reaches(directory);
    if (!byBase && !byPath) return undefined;
    for (const entry of this.entries) {
      if (byBase && entry.base?.test(base)) return entry;
      if (byPath && entry.whole?.test(text)) return entry;
    }
    return undefined;
  }
}

/** A path as the catalogue reads it: `/`-separated, lower-case, at most its last 4,096 characters. */
export function normalise(path: string): string {
  let text = path.length > 4096 ? path.slice(-4096) : path;
  if (text.includes('\\')) text = text.replace(/\\/g, '/');
  return text.toLowerCase();
}

/**
 * A catalogue of one's own: the default extended with `add` entries (an id already in it is
 * replaced), or `replace` alone.
 * @throws {SensitiveCatalogueError} an entry that does not parse (named in the message).
 */
export function sensitiveCatalogue(
  options: { add?: readonly SensitiveLocation[]; replace?: SensitiveCatalogue } = {},
): SensitiveCatalogue {
  const base = options.replace ?? DEFAULT_SENSITIVE_CATALOGUE;
  const add = options.add ?? [];
  if (add.length === 0) return base;
  const ids = new Set(add.map((entry) => entry?.id));
  const catalogue = {
    version: `${base.version}+local`,
    entries: [...base.entries.filter((entry) => !ids.has(entry.id)), ...add],
  };
  new SensitiveMatcher(catalogue); // validates, naming the entry at fault
  return catalogue;
}
