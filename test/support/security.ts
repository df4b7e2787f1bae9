// Two projects with every kind of key, for the security suites.
import { createKey } from '../../src/auth/keys.js';
import type { Config } from '../../src/config.js';
import type { Project, Store } from '../../src/store/store.js';
import { PUBLIC_KEY, SECRET_KEY, startHarness, type Harness } from './harness.js';

export type KeyKindCase = 'none' | 'unknown' | 'revoked' | 'public' | 'secret' | 'foreign_secret';
export const KEY_KINDS: readonly KeyKindCase[] = ['none', 'unknown', 'revoked', 'public', 'secret', 'foreign_secret'];

export interface SecurityWorld {
  harness: Harness;
  projectA: Project;
  projectB: Project;
  keys: Record<Exclude<KeyKindCase, 'none'>, string> & { foreignPublic: string };
}

export async function startSecurityWorld(options: { config?: Partial<Config>; store?: Store } = {}): Promise<SecurityWorld> {
  const harness = await startHarness({ config: { rateLimit: { perSecond: 0, burst: 1, redisUrl: undefined }, ...options.config }, store: options.store });
  const { store, clock } = harness;
  const now = clock.now();
  const projectB = await store.projects.create({ name: `other-${Math.random().toString(36).slice(2, 8)}`, now });
  const foreignSecret = (await createKey(store, { projectId: projectB.id, kind: 'secret', now })).key;
  const foreignPublic = (await createKey(store, { projectId: projectB.id, kind: 'public', now })).key;
  const revoked = await createKey(store, { projectId: harness.project.id, kind: 'secret', now });
  await store.keys.revoke({ projectId: harness.project.id, displayPrefix: revoked.record.displayPrefix, now });
  return {
    harness,
    projectA: harness.project,
    projectB,
    keys: {
      unknown: 'sk_' + 'x'.repeat(32),
      revoked: revoked.key,
      public: PUBLIC_KEY,
      secret: SECRET_KEY,
      foreign_secret: foreignSecret,
      foreignPublic,
    },
  };
}

/** Everything project `projectId` holds, in a comparable form. */
export async function snapshot(store: Store, projectId: number): Promise<string> {
  return JSON.stringify(await store.customers.list(projectId, { limit: 100_000 }));
}
