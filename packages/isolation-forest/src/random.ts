// A seeded PRNG built only from 32-bit integer operations (xoshiro128**, seeded by splitmix32), so
// the same seed gives the same stream on every platform and JavaScript engine.

/** splitmix32: expands one 32-bit seed into well-mixed 32-bit words. */
function splitmix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/** Seeded pseudo-random numbers (xoshiro128**). Not for cryptography. */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Seeds from any 32-bit integer; `stream` selects an independent stream (e.g. a tree index). */
  constructor(seed: number, stream = 0) {
    let state = (seed ^ Math.imul(stream + 1, 0x27d4eb2d)) | 0;
    let out: number;
    [state, out] = splitmix32(state);
    this.s0 = out;
    [state, out] = splitmix32(state);
    this.s1 = out;
    [state, out] = splitmix32(state);
    this.s2 = out;
    [state, out] = splitmix32(state);
    this.s3 = out;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /**
   * A uniform integer in [0, bound) for a whole `bound` >= 1. Exact (no modulo bias) up to 2^21;
   * above that, the bias of scaling 53 random bits is below 2^-32.
   */
  nextInt(bound: number): number {
    if (bound > 2097152) return Math.floor(this.nextDouble() * bound);
    // Lemire's multiply-shift with rejection; the product stays below 2^53, so doubles are exact.
    // The rejection threshold 2^32 mod bound is below bound, so it is computed (a slow floating
    // modulo) only in the rare case the low word is below bound: the same draws, ~5x faster.
    for (;;) {
      const x = this.nextUint32();
      const product = x * bound;
      const high = Math.floor(product / 4294967296);
      const low = product - high * 4294967296;
      if (low >= bound || low >= 4294967296 % bound) return high;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
