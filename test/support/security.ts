// Two projects with every kind of key, for the security suites.
import { createKey } from '../../src/auth/keys.js';
import type { Config } from '../../src/config.js';
import type { Project, Store } from '../../src/store/store.js';
import { openStore } from '../../src/store/open-store.js';
import { startHarness, type Harness } from './harness.js';
import { probePostgres } from './stores.js';

export type KeyKindCase = 'none' | 'unknown' | 'revoked' | 'public' | 'secret' | 'foreign_secret';
export const KEY_KINDS: readonly KeyKindCase[] = ['none', 'unknown', 'revoked', 'public', 'secret', 'foreign_secret'];

export interface SecurityWorld {
  harness: Harness;
  projectA: Project;
  projectB: Project;
  keys: Record<Exclude<KeyKindCase, 'none'>, string> & { foreignPublic: string };
}

/**
 * Two fresh projects, A and B, each with its own keys (never the default project, so suites
 * sharing one PostgreSQL database cannot disturb each other), plus a revoked key of A.
 */
export async function startSecurityWorld(options: { config?: Partial<Config>; store?: Store } = {}): Promise<SecurityWorld> {
  const harness = await startHarness({ config: { rateLimit: { perSecond: 0, burst: 1, redisUrl: undefined }, ...options.config }, store: options.store });
  const { store, clock } = harness;
  const now = clock.now();
  const unique = () => `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const projectA = await store.projects.create({ name: `security-a-${unique()}`, now });
  const projectB = await store.projects.create({ name: `security-b-${unique()}`, now });
  const key = async (projectId: number, kind: 'public' | 'secret') => (await createKey(store, { projectId, kind, now })).key;
  const revoked = await createKey(store, { projectId: projectA.id, kind: 'secret', now });
  await store.keys.revoke({ projectId: projectA.id, displayPrefix: revoked.record.displayPrefix, now });
  return {
    harness,
    projectA,
    projectB,
    keys: {
      unknown: 'sk_' + 'x'.repeat(32),
      revoked: revoked.key,
      public: await key(projectA.id, 'public'),
      secret: await key(projectA.id, 'secret'),
      foreign_secret: await key(projectB.id, 'secret'),
      foreignPublic: await key(projectB.id, 'public'),
    },
  };
}

/** PostgreSQL for these suites: BEACON_TEST_DATABASE_URL, else this branch's own test database. */
export const HARDENING_DATABASE_URL = process.env.BEACON_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/beacon_test_hardening';

/**
 * Whether the PostgreSQL variants can run: under CI=true an unreachable PostgreSQL fails the
 * suite; elsewhere the reason is printed and only the SQLite variants run.
 */
export async function postgresForSecurity(suite: string): Promise<string | null> {
  const probe = await probePostgres(HARDENING_DATABASE_URL);
  if (!probe.unavailable) return probe.url;
  if (process.env.CI === 'true') throw new Error(`${suite}: ${probe.unavailable} (CI=true requires PostgreSQL)`);
  console.warn(`[postgres not available] ${suite}: ${probe.unavailable}`);
  return null;
}

export async function openPostgresForTest(url: string): Promise<Store> {
  return openStore(url, { poolSize: 4, timeoutMs: 10_000 });
}

/** Everything project `projectId` holds, in a comparable form. */
export async function snapshot(store: Store, projectId: number): Promise<string> {
  return JSON.stringify(await store.customers.list(projectId, { limit: 100_000 }));
}
