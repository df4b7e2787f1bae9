// What every CLI command shares: the config, an open store, the customer service, and how a
// command names its project.
import type { Command } from 'commander';
import { systemClock, type Clock } from '../clock.js';
import { loadConfig, type Config } from '../config.js';
import { createCustomerService, type CustomerService } from '../customers/identify.js';
import { DEFAULT_PROJECT } from '../auth/bootstrap.js';
import { BeaconError } from '../errors.js';
import { openStore } from '../store/open-store.js';
import type { Project, Store } from '../store/store.js';

export interface CliContext {
  config: Config;
  store: Store;
  clock: Clock;
  customers: CustomerService;
}

/** A failure the user caused and can fix: printed as one line, exit status 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** The environment's config, with `--database` (a global option) winning over DATABASE_URL. */
export function configFor(command: Command): Config {
  const config = loadConfig();
  const { database } = command.optsWithGlobals<{ database?: string }>();
  return database ? { ...config, databaseUrl: database } : config;
}

/** Opens the store (migrating it), runs `body`, and always closes the store. */
export async function withContext<T>(command: Command, body: (context: CliContext) => Promise<T>): Promise<T> {
  const config = configFor(command);
  // Opening applies pending migrations, as `beacon serve` does.
  const store = await openStore(config.databaseUrl, config.database);
  try {
    const clock = systemClock;
    const customers = createCustomerService({ store, clock, limits: config.limits, sessionTimeout: config.sessionTimeout });
    return await body({ config, store, clock, customers });
  } finally {
    await store.close();
  }
}

/**
 * The project a command names. `default` is created on first use (without keys, so the
 * server's first start still generates and prints them); any other name must exist.
 */
export async function resolveProject(context: CliContext, name: string): Promise<Project> {
  const project = await context.store.projects.findByName(name);
  if (project) return project;
  if (name === DEFAULT_PROJECT) return context.store.projects.create({ name, now: context.clock.now() });
  throw new CliError(`No project is named "${name}". Create it with: beacon projects create ${name}`);
}

/** One line for the user from any expected failure; unexpected ones keep their message too. */
export function describeError(error: unknown): string {
  if (error instanceof BeaconError) {
    const details = error.errors?.map((e) => `${e.field} ${e.message}`).join('; ');
    return details && !error.message.includes(details) ? `${error.message} (${details})` : error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

export function isoTime(seconds: number | null): string {
  return seconds === null ? '-' : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** Left-aligned columns for human output. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
