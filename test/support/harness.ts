// Builds a real app on a real SQLite file in a temp directory, with known keys.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from '../../src/app.js';
import { ensureDefaultProject } from '../../src/auth/bootstrap.js';
import { manualClock, type Clock } from '../../src/clock.js';
import { testConfig, type Config } from '../../src/config.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Project, Store } from '../../src/store/store.js';

export const PUBLIC_KEY = 'pk_test_public_0123456789abcdef';
export const SECRET_KEY = 'sk_test_secret_0123456789abcdef';

export interface Harness {
  app: FastifyInstance;
  store: Store;
  config: Config;
  clock: ReturnType<typeof manualClock>;
  project: Project;
  dir: string;
  close(): Promise<void>;
}

export function tempDir(prefix = 'beacon-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function openTestStore(dir: string): Promise<Store> {
  return openSqliteStore(join(dir, 'beacon.sqlite'));
}

export async function startHarness(
  options: { config?: Partial<Config>; clock?: Clock; logger?: Logger; store?: Store } = {},
): Promise<Harness> {
  const dir = tempDir();
  const store = options.store ?? (await openTestStore(dir));
  const clock = manualClock();
  const config = testConfig({ publicKey: PUBLIC_KEY, secretKey: SECRET_KEY, ...options.config });
  // exclusive: suites sharing one PostgreSQL database may bootstrap at the same moment.
  const { project } = await store.exclusive(() => ensureDefaultProject({ store, config, clock }));
  const app = await buildApp({ config, store, clock: options.clock ?? clock, logger: options.logger });
  return {
    app,
    store,
    config,
    clock,
    project,
    dir,
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function auth(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

/** POST JSON through the app. */
export async function post(app: FastifyInstance, url: string, body: unknown, key = PUBLIC_KEY) {
  const response = await app.inject({
    method: 'POST',
    url,
    headers: { ...auth(key), 'content-type': 'application/json' },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.statusCode, body: response.json(), headers: response.headers };
}

export async function get(app: FastifyInstance, url: string, key = SECRET_KEY) {
  const response = await app.inject({ method: 'GET', url, headers: auth(key) });
  return { status: response.statusCode, body: response.json() };
}
