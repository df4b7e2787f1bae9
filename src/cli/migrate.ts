// `beacon migrate`: bring the schema up to date and exit (for deploy pipelines).
import type { Command } from 'commander';
import { withContext } from './context.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('bring the database schema up to date and exit')
    .action(async (_options: unknown, command: Command) => {
      await withContext(command, async ({ store }) => {
        await store.migrate();
        process.stdout.write(`Schema is up to date (${store.engine}).\n`);
      });
    });
}
