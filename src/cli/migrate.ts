// `beacon migrate`: bring the schema up to date, report what was applied, and exit (deploy pipelines).
import type { Command } from 'commander';
import { openStore } from '../store/open-store.js';
import { configFor } from './context.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('create or upgrade the database schema, then exit (deploy pipelines)')
    .action(async (_options: unknown, command: Command) => {
      const config = configFor(command);
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
    });
}
