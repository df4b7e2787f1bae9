#!/usr/bin/env node
// The `beacon` command.
import { ConfigError, loadConfig } from './config.js';
import { serve } from './server.js';
import { openStore } from './store/open-store.js';

const USAGE = `Usage: beacon <command>

Commands:
  serve      Start the HTTP server (what npm start runs)
  migrate    Create or upgrade the database schema, then exit (deploy pipelines)

Configuration comes from the environment: PORT, HOST, DATABASE_URL, BEACON_PUBLIC_KEY,
BEACON_SECRET_KEY, BEACON_SESSION_TIMEOUT, LOG_LEVEL. See README.md.`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return command === undefined ? 1 : 0;
  }
  if (command === 'serve') {
    await serve(loadConfig());
    return -1; // keeps running
  }
  if (command === 'migrate') {
    const config = loadConfig();
    const store = await openStore(config.databaseUrl, { ...config.database, migrate: false });
    try {
      const report = await store.migrate();
      process.stdout.write(
        report.applied.length > 0
          ? `Applied migrations ${report.applied.join(', ')}; ${store.engine} schema is at version ${report.version}.\n`
          : `Nothing to apply; ${store.engine} schema is at version ${report.version}.\n`,
      );
    } finally {
      await store.close();
    }
    return 0;
  }
  process.stderr.write(`beacon: unknown command "${command}"\n\n${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    const message = error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
    process.stderr.write(`beacon: ${message}\n`);
    process.exit(1);
  },
);
