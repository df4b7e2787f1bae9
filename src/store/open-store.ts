// Picks the store from DATABASE_URL: `postgres://…` selects PostgreSQL, anything else is an SQLite file.
import { DEFAULT_DATABASE_OPTIONS, type DatabaseOptions } from '../config.js';
import { openSqliteStore, sqlitePathFromUrl } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export interface OpenStoreOptions extends Partial<DatabaseOptions> {
  /** Apply pending migrations before returning (default true; `beacon migrate` reports them itself). */
  migrate?: boolean;
}

export async function openStore(databaseUrl: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (isPostgresUrl(databaseUrl)) {
    // Loaded on demand: an SQLite deployment (and every CLI run against one) never loads pg.
    const { openPostgresStore } = await import('./postgres/postgres-store.js');
    const store = openPostgresStore({
      connectionString: databaseUrl,
      poolSize: options.poolSize ?? DEFAULT_DATABASE_OPTIONS.poolSize,
      timeoutMs: options.timeoutMs ?? DEFAULT_DATABASE_OPTIONS.timeoutMs,
    });
    if (options.migrate !== false) {
      try {
        await store.migrate();
      } catch (error) {
        await store.close();
        throw error;
      }
    }
    return store;
  }
  // SQLite applies its migrations as it opens: one process owns the file.
  return openSqliteStore(sqlitePathFromUrl(databaseUrl));
}
