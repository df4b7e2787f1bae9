// Losing PostgreSQL: requests get 503 envelopes within the configured timeout, /readyz turns
// 503, and the server recovers by itself when the database is back. The shared PostgreSQL
// server is never stopped: a TCP proxy in this test stands between Beacon and it, and is cut,
// black-holed and restored; then this server's own connections are terminated as a restart would.
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePostgres } from '../support/stores.js';
import { call, startServer, type ServerProcess } from '../support/server-process.js';

const PUBLIC_KEY = 'pk_test_outage_0123456789abcdef';
const SECRET_KEY = 'sk_test_outage_0123456789abcdef';
const TIMEOUT_MS = 1500;
const APP_NAME = `beacon-outage-${process.pid}`;
const probe = await requirePostgres('database outage');
const run = `${process.pid}-${Date.now().toString(36)}`;

type Mode = 'pass' | 'refuse' | 'blackhole';

/** A TCP proxy to PostgreSQL that can drop every connection or swallow every packet. */
async function startProxy(target: { host: string; port: number }) {
  let mode: Mode = 'pass';
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (mode === 'refuse') return client.destroy();
    if (mode === 'blackhole') return; // accepted, never answered
    const upstream = connect(target.port, target.host);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.on('close', () => pairs.delete(pair));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    /** Drops every open connection; new ones are dropped (`refuse`) or left hanging (`blackhole`). */
    cut(next: Exclude<Mode, 'pass'>) {
      mode = next;
      for (const socket of sockets) socket.destroy();
    },
    /** Open connections stay open but nothing crosses them any more; new ones hang. */
    freeze() {
      mode = 'blackhole';
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    restore() {
      mode = 'pass';
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe.skipIf(probe.unavailable !== null)('PostgreSQL goes away and comes back', () => {
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let server: ServerProcess;
  const identify = (body: unknown) => call(server, { path: '/customers', key: PUBLIC_KEY, body, timeoutMs: 30_000 });
  const read = (userId: string) => call(server, { path: `/customers/${userId}`, key: SECRET_KEY, timeoutMs: 30_000 });
  const ready = () => call(server, { path: '/readyz', timeoutMs: 30_000 });

  async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  beforeAll(async () => {
    const url = new URL(probe.url);
    proxy = await startProxy({ host: url.hostname, port: Number(url.port || 5432) });
    const viaProxy = new URL(probe.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    viaProxy.searchParams.set('application_name', APP_NAME);
    server = await startServer({
      DATABASE_URL: viaProxy.toString(),
      BEACON_PUBLIC_KEY: PUBLIC_KEY,
      BEACON_SECRET_KEY: SECRET_KEY,
      BEACON_DB_POOL_SIZE: '4',
      BEACON_DB_TIMEOUT_MS: String(TIMEOUT_MS),
    });
  });
  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
  });

  it('answers 503 envelopes while the connection is cut, and recovers when it is back', async () => {
    expect((await identify({ user_id: `before-${run}`, custom_attributes: { kept: true } })).status).toBe(200);
    expect((await ready()).status).toBe(200);

    proxy.cut('refuse');
    const during = await identify({ user_id: `during-${run}` });
    expect(during.status).toBe(503);
    expect(during.body).toMatchObject({ success: false, code: 503, data: null });
    expect((await read(`before-${run}`)).status).toBe(503);
    expect((await ready()).body).toMatchObject({ success: false, code: 503 });
    expect((await call(server, { path: '/healthz' })).status).toBe(200);

    proxy.restore();
    await until(async () => (await ready()).status === 200, '/readyz to turn 200 again');
    expect((await read(`before-${run}`)).body.data).toMatchObject({ custom_attributes: { kept: true } });
    expect((await read(`during-${run}`)).status).toBe(404); // the 503 call stored nothing
    expect((await identify({ user_id: `after-${run}` })).status).toBe(200);
    expect(server.child.exitCode).toBeNull();
  });

  it('never hangs when the database stops answering: 503 within the configured timeout', async () => {
    // Warm the pool so the next calls find open connections that have silently stopped answering.
    await Promise.all([0, 1, 2].map((i) => identify({ user_id: `warm-hang-${run}-${i}` })));
    proxy.freeze();
    try {
      const started = Date.now();
      const [write, readiness] = await Promise.all([identify({ user_id: `hang-${run}` }), ready()]);
      const elapsed = Date.now() - started;
      console.info(`[outage] 503 for a write and /readyz after ${elapsed} ms with BEACON_DB_TIMEOUT_MS=${TIMEOUT_MS}`);
      expect(write.status).toBe(503);
      expect(readiness.status).toBe(503);
      // Bounded by BEACON_DB_TIMEOUT_MS (+1 s client-side backstop) plus scheduling slack, not by the client.
      expect(elapsed).toBeLessThan(TIMEOUT_MS * 4);
    } finally {
      proxy.restore();
    }
    await until(async () => (await ready()).status === 200, '/readyz to turn 200 again');
    expect((await identify({ user_id: `hang-after-${run}` })).status).toBe(200);
  });

  it('survives its connections being terminated (a database restart): only 200s and 503s, then 200s', async () => {
    for (let i = 0; i < 4; i += 1) expect((await identify({ user_id: `warm-${run}-${i}` })).status).toBe(200);
    const admin = new pg.Client({ connectionString: probe.url });
    await admin.connect();
    try {
      const killed = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
        [APP_NAME],
      );
      expect(killed.rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    const statuses: number[] = [];
    for (let i = 0; i < 8; i += 1) statuses.push((await identify({ user_id: `restart-${run}-${i}` })).status);
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
    expect(statuses.slice(-3)).toEqual([200, 200, 200]);
    expect(server.child.exitCode).toBeNull();
  });
});
