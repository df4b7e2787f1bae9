// Seeded pseudo-random numbers for tests (mulberry32): small, reproducible, good enough to pick
// test inputs — a failure names an input that the same seed produces again.
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  /** `length` decimal digits. */
  const digits = (length: number) => Array.from({ length }, () => String(Math.floor(next() * 10))).join('');
  return { next, pick, chance: (p: number) => next() < p, digits };
}
