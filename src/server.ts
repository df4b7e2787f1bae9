// Listens, prints the first-start keys, and shuts down gracefully.
import { buildApp } from './app.js';
import { ensureDefaultProject } from './auth/bootstrap.js';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import { asyncStdout, createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { openStore } from './store/open-store.js';

function firstStartBanner(input: { publicKey: string; secretKey: string; port: number }): string {
  const base = `http://localhost:${input.port}`;
  return [
    '',
    'Beacon created the default project. Its keys are shown this once; store them now.',
    `  public key (browsers, identify only): ${input.publicKey}`,
    `  secret key (servers, full access):    ${input.secretKey}`,
    '',
    'Identify a customer:',
    `  curl -s ${base}/customers -H 'Authorization: Bearer ${input.publicKey}' -H 'Content-Type: application/json' \\`,
    `    -d '{"user_id":"1","email":"billy@crowdpower.io","name":"Billy Madison","phone":"+15555555555","signed_up_at":1585775554,"custom_attributes":{"username":"billy"}}'`,
    'Read it back:',
    `  curl -s ${base}/customers/1 -H 'Authorization: Bearer ${input.secretKey}'`,
    '',
  ].join('\n');
}

/** Hard stop: whatever happens, the process is gone this long after SIGTERM. */
const EXIT_DEADLINE_MS = 10_000;
const DRAIN_LINGER_MS = 300;

export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel, asyncStdout());
  const store = await openStore(config.databaseUrl, config.database);
  const bootstrap = await store.exclusive(() => ensureDefaultProject({ store, config, clock: systemClock }));
  const metrics = createMetrics({ store, defaultMetrics: true });
  const app = await buildApp({ config, store, logger, metrics });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  if (bootstrap.generated) {
    // Straight to stdout, never through the logger: keys must not reach log pipelines.
    process.stdout.write(firstStartBanner({ ...bootstrap.generated, port }) + '\n');
  }
  logger.info({ port, engine: store.engine }, 'beacon listening');

  let stopping = false;
  // SIGTERM: answer new requests with 503 (still listening, so a load balancer sees the 503
  // rather than a refused connection), let running requests finish and commit, stop listening,
  // close the database, exit. A second signal or the deadline forces the exit.
  const stop = async (signal: string) => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    const force = setTimeout(() => {
      logger.error({ inFlight: app.drain.inFlight() }, 'shutdown deadline passed; exiting');
      process.exit(1);
    }, EXIT_DEADLINE_MS);
    force.unref();
    logger.info({ signal, inFlight: app.drain.inFlight() }, 'shutting down: draining');
    app.drain.start();
    let code = 0;
    try {
      const settled = await app.drain.settled(config.shutdownGraceMs);
      if (!settled) logger.warn({ inFlight: app.drain.inFlight() }, 'requests still running after the grace period');
      // Keep answering 503 a moment longer: a client that just got its 200 and sends again
      // gets a clear 503 instead of a reset connection.
      await new Promise((resolve) => setTimeout(resolve, DRAIN_LINGER_MS));
      await app.close();
      await store.close();
      logger.info('shut down cleanly');
    } catch (error) {
      code = 1;
      logger.error({ err: { type: (error as Error).name, stack: (error as Error).stack } }, 'shutdown failed');
    } finally {
      process.exit(code);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
