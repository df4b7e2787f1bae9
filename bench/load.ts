// The load generator both the benchmark and the probe use: autocannon POSTing one body per
// request, in order. autocannon only reports at its 1-second ticks, so its `duration` overstates
// a run by up to a second (14% of a 7-second run); the run's time is taken here instead, from
// the start to the last response.
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

export interface LoadResult {
  result: autocannon.Result;
  /** Seconds from the start to the last response. */
  seconds: number;
}

export async function fireBodies(input: { url: string; key: string; bodies: string[]; connections: number }): Promise<LoadResult> {
  let next = 0;
  const started = performance.now();
  let last = started;
  // Without a callback autocannon returns its tracker, an EventEmitter that is also a promise.
  const tracker = autocannon({
    url: input.url,
    method: 'POST',
    connections: input.connections,
    amount: input.bodies.length,
    timeout: 30,
    headers: { authorization: `Bearer ${input.key}`, 'content-type': 'application/json' },
    requests: [{ setupRequest: (request) => ({ ...request, body: input.bodies[next++ % input.bodies.length] as string }) }],
  }) as Promise<autocannon.Result> & { on(event: 'response', listener: () => void): void };
  tracker.on('response', () => {
    last = performance.now();
  });
  const result = await tracker;
  return { result, seconds: (last - started) / 1000 };
}
