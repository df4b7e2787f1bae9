/** Time source, injected so tests can move it. */
export interface Clock {
  /** UNIX seconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Math.floor(Date.now() / 1000) };

/** A clock tests move by hand. */
export function manualClock(start = 1_700_000_000): Clock & { advance(seconds: number): void; set(seconds: number): void } {
  let current = start;
  return {
    now: () => current,
    advance: (seconds) => {
      current += seconds;
    },
    set: (seconds) => {
      current = seconds;
    },
  };
}
