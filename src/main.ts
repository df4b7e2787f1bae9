#!/usr/bin/env node
// The `beacon` command: one file per subcommand under src/cli/.
import { Command, CommanderError } from 'commander';
import { registerExport } from './cli/export.js';
import { registerImport } from './cli/import.js';
import { registerKeys } from './cli/keys.js';
import { registerMigrate } from './cli/migrate.js';
import { registerProjects } from './cli/projects.js';
import { registerServe } from './cli/serve.js';
import { describeError } from './cli/context.js';

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
