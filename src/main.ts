#!/usr/bin/env node
// The `beacon` command.
import { ConfigError, loadConfig } from './config.js';
import { serve } from './server.js';

const USAGE = `Usage: beacon <command>

Commands:
  serve      Start the HTTP server (what npm start runs)

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
