// A small seeded PRNG (mulberry32): the simulator's only source of chance, so a seed replays a run exactly.
// Faults, jitter and generated answers each draw from their own stream so one never shifts another.

/** Returns a function yielding floats in [0, 1), the same sequence for the same seed. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [low, high] (both inclusive) drawn from `random`. */
export function randomInt(random: () => number, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

/** One element of a non-empty array. */
export function randomPick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** Derives an independent seed from another, so related streams (choice 2 of n, jitter) do not correlate. */
export function deriveSeed(seed: number, salt: number): number {
  return Math.imul((seed ^ salt) >>> 0, 0x9e3779b1) >>> 0;
}
