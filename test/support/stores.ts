// Every store the contract suite runs on, and the PostgreSQL test database they share.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { tempDir } from './harness.js';

/** CI (.ci/run) sets BEACON_TEST_DATABASE_URL to a fresh database. */
export const TEST_DATABASE_URL = process.env.BEACON_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/beacon_test_pg';

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

/** Tests never touch a database whose name does not say it is one for tests. */
export function assertTestDatabase(url: string): void {
  const name = databaseName(url);
  if (!/test/i.test(name)) {
    throw new Error(`refusing to run tests on PostgreSQL database "${name}": its name must contain "test"`);
  }
}

export interface PostgresProbe {
  url: string;
  /** Why PostgreSQL tests cannot run here; null when they can. */
  unavailable: string | null;
}

async function canConnect(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Checks the test database answers, creating it when the server runs but the database is
 * missing. Outside CI an unreachable server means "skip, with this reason"; under CI=true
 * the caller must fail instead (see `requirePostgres`).
 */
export async function probePostgres(url = TEST_DATABASE_URL): Promise<PostgresProbe> {
  assertTestDatabase(url);
  try {
    await canConnect(url);
    return { url, unavailable: null };
  } catch (error) {
    if ((error as { code?: string }).code === '3D000') {
      const admin = new URL(url);
      admin.pathname = '/postgres';
      const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3_000 });
      try {
        await client.connect();
        await client.query(`CREATE DATABASE "${databaseName(url).replace(/"/g, '""')}"`);
      } catch (createError) {
        if ((createError as { code?: string }).code !== '42P04') {
          return { url, unavailable: `cannot create ${databaseName(url)}: ${(createError as Error).message}` };
        }
      } finally {
        await client.end().catch(() => {});
      }
      return { url, unavailable: null };
    }
    const where = new URL(url);
    return { url, unavailable: `PostgreSQL at ${where.host}/${databaseName(url)} is not reachable (${(error as Error).message || (error as { code?: string }).code})` };
  }
}

/**
 * The probe, with the policy of issue 3 applied: under CI=true an unreachable PostgreSQL is a
 * failure (thrown here, failing the file); elsewhere the reason is printed and the caller skips.
 */
export async function requirePostgres(suite: string): Promise<PostgresProbe> {
  const probe = await probePostgres();
  if (probe.unavailable) {
    if (process.env.CI === 'true') throw new Error(`${suite}: ${probe.unavailable} (CI=true requires PostgreSQL)`);
    console.warn(`[skip] ${suite} on PostgreSQL: ${probe.unavailable}`);
  }
  return probe;
}

export interface StoreFactory {
  name: 'sqlite' | 'postgres';
  /** Why this store cannot run here (the suite for it is skipped); null when it can. */
  unavailable: string | null;
  open(): Promise<{ store: Store; dispose(): Promise<void> }>;
}

/** SQLite always; PostgreSQL when reachable (or failing under CI=true). */
export async function storeFactories(suite: string): Promise<StoreFactory[]> {
  const postgres = await requirePostgres(suite);
  return [
    {
      name: 'sqlite',
      unavailable: null,
      async open() {
        const dir = tempDir('beacon-store-');
        const store = await openStore(`sqlite:${join(dir, 'beacon.sqlite')}`);
        return {
          store,
          async dispose() {
            await store.close();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      },
    },
    {
      name: 'postgres',
      unavailable: postgres.unavailable,
      async open() {
        const store = await openStore(postgres.url, { poolSize: 4, timeoutMs: 10_000 });
        return { store, dispose: () => store.close() };
      },
    },
  ];
}

/** A project name no other test (or earlier run on the same database) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
