// `beacon serve`: the HTTP server, exactly what `npm start` runs.
import type { Command } from 'commander';
import { configFor } from './context.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the HTTP server (what npm start runs)')
    .addHelpText(
      'after',
      '\nConfigured by the environment: PORT, HOST, DATABASE_URL, BEACON_PUBLIC_KEY, BEACON_SECRET_KEY,\nBEACON_SESSION_TIMEOUT, LOG_LEVEL (see README.md).',
    )
    .action(async (_options: unknown, command: Command) => {
      // Loaded on demand: the other commands (import above all) do not carry the HTTP stack.
      const { serve } = await import('../server.js');
      await serve(configFor(command));
    });
}
