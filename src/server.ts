// Listens, prints the first-start keys, and shuts down gracefully.
import { buildApp } from './app.js';
import { ensureDefaultProject } from './auth/bootstrap.js';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import { createLogger } from './logger.js';
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

export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  const store = await openStore(config.databaseUrl, config.database);
  const bootstrap = await store.exclusive(() => ensureDefaultProject({ store, config, clock: systemClock }));
  const app = await buildApp({ config, store, logger });
  await app.listen({ port: config.port, host: config.host });
  if (bootstrap.generated) {
    // Straight to stdout, never through the logger: keys must not reach log pipelines.
    process.stdout.write(firstStartBanner({ ...bootstrap.generated, port: config.port }) + '\n');
  }
  logger.info({ port: config.port, engine: store.engine }, 'beacon listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    try {
      await app.close();
      await store.close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
