// The fuzzer's own seeded generator. Each input has a stream of its own, derived from the run's seed,
// the entry point and the input's index, so any input can be rebuilt alone (to describe it after a
// child process was killed, or to replay it) without generating the ones before it.

/** 32-bit FNV-1a of a string: turns an entry point's name into part of a seed. */
function hashName(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** One step of splitmix32: spreads related seeds (index 1, 2, 3, ...) over unrelated states. */
function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** sfc32 over a state seeded from (seed, stream, index). Not for cryptography; fast and reproducible. */
export class FuzzRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream: string, index: number) {
    const name = hashName(stream);
    this.a = splitmix32(seed ^ 0x5bd1e995);
    this.b = splitmix32(this.a ^ name);
    this.c = splitmix32(this.b ^ index);
    this.d = splitmix32(this.c ^ Math.floor(index / 2 ** 32));
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max], skewed towards small values (sizes: most small, a few huge). */
  size(min: number, max: number): number {
    return min + Math.floor((max - min + 1) * this.next() ** 3);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Picks by weight: `[[3, a], [1, b]]` returns `a` three times as often as `b`. */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [weight] of choices) total += weight;
    let x = this.next() * total;
    for (const [weight, value] of choices) {
      x -= weight;
      if (x < 0) return value;
    }
    return choices[choices.length - 1]![1];
  }
}
