// Picks the store from DATABASE_URL: `postgres://…` selects PostgreSQL, anything else is an SQLite file.
import type { Store } from './store.js';
import { openSqliteStore, sqlitePathFromUrl } from './sqlite/sqlite-store.js';

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export async function openStore(databaseUrl: string): Promise<Store> {
  if (isPostgresUrl(databaseUrl)) {
    throw new Error('PostgreSQL support is not built yet: set DATABASE_URL to an SQLite path');
  }
  return openSqliteStore(sqlitePathFromUrl(databaseUrl));
}
