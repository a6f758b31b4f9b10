// Seeded sampling: the same seed and data give the same sample on every platform.
import type { SecurityEvent } from '@harombe/models';

/** A deterministic uniform number in [0, 1) from a seed and a counter (splitmix-style hash). */
export function seededUnit(seed: number, counter: number): number {
  let z = (seed ^ Math.imul(counter, 0x9e3779b9)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
}

/** Up to `size` events, a seeded uniform sample when there are more (in time order). */
export function reservoirSample(
  events: readonly SecurityEvent[],
  size: number,
  seed: number,
): SecurityEvent[] {
  if (events.length <= size) return [...events];
  const sample = events.slice(0, size);
  for (let i = size; i < events.length; i++) {
    const j = Math.floor(seededUnit(seed, i) * (i + 1));
    if (j < size) sample[j] = events[i]!;
  }
  return sample.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
}
