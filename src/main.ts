#!/usr/bin/env node
// The `beacon` command: one file per subcommand under src/cli/.
import { setFlagsFromString } from 'node:v8';
import { Command, CommanderError } from 'commander';
import { registerExport } from './cli/export.js';
import { registerImport } from './cli/import.js';
import { registerKeys } from './cli/keys.js';
import { registerMigrate } from './cli/migrate.js';
import { registerProjects } from './cli/projects.js';
import { registerServe } from './cli/serve.js';
import { describeError } from './cli/context.js';

/** How much the old generation may grow past what survived the last full GC before the next one. */
const HEAP_GROWING_PERCENT = 100;

// Old-generation growth: by default V8 lets the old generation grow to about four times what
// survived the last full GC before collecting it again. Under bulk load that was ~55 MB of dead,
// promoted request data on top of ~19 MB live (peak RSS 201-205 MB); doubling at most keeps the
// peak near 150 MB, with the same identify req/s and bulk customers/s in A/B probes. V8 reads
// this flag each time it sets the next limit, so setting it here, at start, applies.
setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);

function buildProgram(): Command {
  const program = new Command('beacon')
    .description('Self-hosted customer-identity server speaking the Beacon API')
    .option('--database <url>', 'database to use (default: $DATABASE_URL, else sqlite:./data/beacon.sqlite)')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Configuration comes from the environment: PORT, HOST, DATABASE_URL, BEACON_PUBLIC_KEY,
BEACON_SECRET_KEY, BEACON_SESSION_TIMEOUT, LOG_LEVEL. Every command has --help. See README.md.`,
    );
  registerServe(program);
  registerMigrate(program);
  registerProjects(program);
  registerKeys(program);
  registerImport(program);
  registerExport(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode; // commander has already printed the message
      return;
    }
    process.stderr.write(`beacon: ${describeError(error)}\n`);
    process.exitCode = 1;
  });
