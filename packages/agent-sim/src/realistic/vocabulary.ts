// Names for the realistic regime: generated web domains (a long-tail pool, never-repeated ones,
// attackers' ones, all distinct), and path templates with dates, part numbers, ids, hashes and
// UUIDs filled in per event.
import type { SimRandom } from '../random.js';

const WORDS = [
  'acorn alpine amber anchor apex arc aspen atlas aurora axis badger basil beacon birch bison blue',
  'bolt bramble brick bright brook cactus canyon cedar chalk cinder citrus clover cobalt comet',
  'copper coral cove crane crest crystal daisy delta dune ember falcon fern field flint forest fox',
  'frost garnet glade granite grove harbor hazel heron hollow indigo iris ivory jade juniper kelp',
  'kestrel lake lantern larch lemon linden lotus lunar maple marble meadow mesa mint moss nectar',
  'nimbus north oak ocean olive onyx orbit otter palm pebble pepper pine pixel plum polar poppy',
  'prairie quartz quill rain raven reed ridge river robin rock rose ruby saffron sage salt sand',
  'shadow shore signal silver sky slate snow solar spark spruce stone storm summit swift thistle',
  'thunder tide timber topaz trail tulip tundra valley velvet violet wave willow wind winter wolf',
  'wren zephyr byte cloud data dev docs forge grid hub lab labs logic loop media metric net node',
  'ops press stack stream studio sync tech works zone',
]
  .join(' ')
  .split(' ');
const TLDS = ['com', 'com', 'com', 'io', 'net', 'org', 'dev', 'app', 'co', 'ai', 'info', 'blog'];
const SUBDOMAINS = ['www', 'blog', 'docs', 'news', 'wiki', 'shop', 'forum', 'help', 'cdn', 'static'];

/**
 * Issues web domains, each at most once: a fleet-wide long-tail pool (drawn with Zipf popularity),
 * never-repeated ones, and attackers' ones that nothing else will ever use.
 */
export class DomainNamer {
  private readonly issued = new Set<string>();

  constructor(private readonly random: SimRandom) {}

  /** Marks names as taken (domains used by personas' tools). */
  reserve(names: Iterable<string>): void {
    for (const name of names) this.issued.add(name);
  }

  /** A domain nobody has been given yet. */
  fresh(): string {
    for (;;) {
      const a = this.random.pick(WORDS);
      const b = this.random.pick(WORDS);
      const tld = this.random.pick(TLDS);
      const shape = this.random.next();
      const name =
        shape < 0.4
          ? `${a}${b}.${tld}`
          : shape < 0.65
            ? `${a}-${b}.${tld}`
            : shape < 0.85
              ? `${this.random.pick(SUBDOMAINS)}.${a}${b}.${tld}`
              : `${a}${b}${this.random.int(2, 99)}.${tld}`;
      if (a !== b && !this.issued.has(name)) {
        this.issued.add(name);
        return name;
      }
    }
  }
}

/** What a path template may refer to besides the random source. */
export interface PathContext {
  /** Local calendar date of the event, `YYYY-MM-DD`. */
  readonly date: string;
  /** The day before, for nightly jobs processing yesterday. */
  readonly yesterday: string;
  /** Local hour of the event, 0-23. */
  readonly hour: number;
  /** A running part number (a batch job writes its parts in order). */
  readonly part?: number;
}

/**
 * Fills a template: `{date}`, `{yesterday}`, `{yyyy}`, `{mm}`, `{hh}`, `{part}` (5 digits),
 * `{uuid}`, `{hex8}`, `{sha}` (40 hex), `{int:a-b}`, `{pick:a|b|c}`.
 */
export function expandPath(template: string, random: SimRandom, context: PathContext): string {
  return template.replace(/\{([a-z0-9]+)(?::([^}]*))?\}/g, (_, name: string, argument?: string) => {
    switch (name) {
      case 'date':
        return context.date;
      case 'yesterday':
        return context.yesterday;
      case 'yyyy':
        return context.date.slice(0, 4);
      case 'mm':
        return context.date.slice(5, 7);
      case 'hh':
        return String(context.hour).padStart(2, '0');
      case 'part':
        return String(context.part ?? random.int(0, 199)).padStart(5, '0');
      case 'uuid':
        return random.uuid();
      case 'hex8':
        return random.hex(8);
      case 'sha':
        return random.hex(40);
      case 'int': {
        const [low, high] = (argument ?? '0-999').split('-').map(Number);
        return String(random.int(low ?? 0, high ?? 999));
      }
      case 'pick':
        return random.pick((argument ?? '').split('|'));
      default:
        throw new Error(`expandPath: unknown placeholder {${name}} in ${template}`);
    }
  });
}

/** Typical size in bytes of a file, by its name (config files small, data files large). */
export function typicalFileBytes(path: string): number {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (/\.(parquet|orc|avro)$/.test(name)) return 40_000_000;
  if (/\.(gz|zip|tar)$/.test(name)) return 12_000_000;
  if (/\.(csv|jsonl|log)$/.test(name)) return 2_500_000;
  if (/\.(pdf|png|jpg)$/.test(name)) return 900_000;
  if (/\.(ipynb|json|sql|db)$/.test(name)) return 60_000;
  if (/\.(ts|js|py|md|txt|yaml|yml|conf|toml)$/.test(name)) return 6_000;
  return 2_000;
}
