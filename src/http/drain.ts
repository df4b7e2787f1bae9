// Graceful shutdown, HTTP side: once draining, new requests get a 503 envelope (and
// `Connection: close`) while requests already running finish normally.
import type { FastifyInstance } from 'fastify';
import { failure } from './envelope.js';

export interface Drain {
  /** From now on, answer new requests with 503. */
  start(): void;
  readonly draining: boolean;
  inFlight(): number;
  /** Resolves true once no request is running, or false after `timeoutMs`. */
  settled(timeoutMs: number): Promise<boolean>;
}

declare module 'fastify' {
  interface FastifyInstance {
    drain: Drain;
  }
}

export function installDrain(app: FastifyInstance): Drain {
  let draining = false;
  let running = 0;
  let waiters: (() => void)[] = [];
  const done = () => {
    running--;
    if (running === 0) {
      const wake = waiters;
      waiters = [];
      for (const resolve of wake) resolve();
    }
  };

  app.addHook('onRequest', async (request, reply) => {
    if (draining) {
      return reply
        .status(503)
        .header('connection', 'close')
        .header('retry-after', 5)
        .send(failure('unavailable', 'Beacon is shutting down; retry on another instance or in a moment.'));
    }
    running++;
    // 'close' fires once per response, whether it finished or the client went away.
    reply.raw.once('close', done);
    return undefined;
  });

  const drain: Drain = {
    start() {
      draining = true;
    },
    get draining() {
      return draining;
    },
    inFlight: () => running,
    settled(timeoutMs) {
      if (running === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        timer.unref();
        waiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
  };
  app.decorate('drain', drain);
  return drain;
}
