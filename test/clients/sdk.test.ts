// The TypeScript SDK (packages/client) against the real server over real HTTP.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Beacon, type DeliveryFailure } from '../../packages/client/src/beacon-client.js';
import { get, PUBLIC_KEY, SECRET_KEY } from '../support/harness.js';
import { hangUp, rateLimited, startBeacon, startFlakyFront, unavailable } from './servers.js';

type Running = Awaited<ReturnType<typeof startBeacon>>;

describe('Beacon SDK', () => {
  let beacon: Running;
  const closers: (() => Promise<void>)[] = [];
  beforeEach(async () => {
    beacon = await startBeacon();
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await beacon.close();
  });

  function client(options: Partial<ConstructorParameters<typeof Beacon>[0]> = {}) {
    const failures: DeliveryFailure[] = [];
    const sdk = new Beacon({ key: PUBLIC_KEY, host: beacon.url, retryBaseDelay: 20, onError: (failure) => failures.push(failure), ...options });
    closers.push(() => sdk.close());
    return { sdk, failures };
  }

  async function storedIds(): Promise<string[]> {
    const page = (await get(beacon.app, '/customers?limit=1000')).body.data.customers as { user_id: string }[];
    return page.map((profile) => profile.user_id).sort();
  }

  it('queues identify calls and sends them on flush()', async () => {
    const { sdk, failures } = client({ flushInterval: 60_000 });
    sdk.identify({ user_id: '1', email: 'billy@crowdpower.io', name: 'Billy Madison', custom_attributes: { username: 'billy' } });
    sdk.identify({ user_id: '2', phone: '+15555555555' });
    expect(await storedIds()).toEqual([]);
    await sdk.flush();
    expect(await storedIds()).toEqual(['1', '2']);
    expect((await get(beacon.app, '/customers/1')).body.data).toMatchObject({ first_name: 'Billy', custom_attributes: { username: 'billy' } });
    expect(failures).toEqual([]);
  });

  it('sends by itself when flushAt customers are queued, in batches of flushAt', async () => {
    const front = await startFlakyFront({ target: beacon.url, failures: 0, misbehave: unavailable });
    closers.push(front.close);
    const { sdk } = client({ host: front.url, flushAt: 3, flushInterval: 60_000 });
    for (let i = 0; i < 7; i++) sdk.identify({ user_id: `u${i}` });
    await expect.poll(storedIds).toEqual(['u0', 'u1', 'u2', 'u3', 'u4', 'u5']);
    expect(front.attempts).toHaveLength(2);
    await sdk.flush();
    expect(await storedIds()).toHaveLength(7);
    expect(front.attempts).toHaveLength(3);
  });

  it('sends by itself flushInterval ms after the first queued call', async () => {
    const { sdk } = client({ flushInterval: 50 });
    sdk.identify({ user_id: 'timer' });
    await expect.poll(storedIds).toEqual(['timer']);
    // The row is committed a moment before the SDK reads the response: wait for that too.
    await expect.poll(() => sdk.pending).toBe(0);
  });

  it('retries a server that fails the first attempts (5xx and dropped connections), then stores once', async () => {
    const front = await startFlakyFront({ target: beacon.url, failures: 3, misbehave: (response, attempt) => (attempt === 2 ? hangUp : unavailable)(response, attempt) });
    closers.push(front.close);
    const { sdk, failures } = client({ host: front.url });
    sdk.identify({ user_id: 'r1', custom_attributes: { plan: 'pro' } });
    await sdk.flush();
    expect(front.attempts).toHaveLength(4);
    expect(failures).toEqual([]);
    expect((await get(beacon.app, '/customers/r1')).body.data.custom_attributes).toEqual({ plan: 'pro' });
  });

  it('gives up after maxRetries and reports every customer of the batch', async () => {
    const front = await startFlakyFront({ target: beacon.url, failures: 100, misbehave: unavailable });
    closers.push(front.close);
    const { sdk, failures } = client({ host: front.url, maxRetries: 2 });
    sdk.identify({ user_id: 'g1' });
    sdk.identify({ user_id: 'g2' });
    await sdk.flush();
    expect(front.attempts).toHaveLength(3);
    expect(failures.map((failure) => [failure.reason, failure.status, failure.customer.user_id])).toEqual([
      ['failed', 503, 'g1'],
      ['failed', 503, 'g2'],
    ]);
    expect(await storedIds()).toEqual([]);
  });

  it('waits for Retry-After on 429 before retrying', async () => {
    const front = await startFlakyFront({ target: beacon.url, failures: 1, misbehave: rateLimited(1) });
    closers.push(front.close);
    const { sdk, failures } = client({ host: front.url });
    sdk.identify({ user_id: 'rl' });
    await sdk.flush();
    expect(front.attempts).toHaveLength(2);
    expect((front.attempts[1] as number) - (front.attempts[0] as number)).toBeGreaterThanOrEqual(950);
    expect(failures).toEqual([]);
    expect(await storedIds()).toEqual(['rl']);
  });

  it('on a 422 partial failure reports exactly the rejected customers and does not resend the accepted ones', async () => {
    const front = await startFlakyFront({ target: beacon.url, failures: 0, misbehave: unavailable });
    closers.push(front.close);
    const { sdk, failures } = client({ host: front.url });
    sdk.identify({ user_id: 'ok1' });
    sdk.identify({ user_id: 'bad', phone: 'call me maybe' });
    sdk.identify({ user_id: 'ok2' });
    await sdk.flush();
    expect(front.attempts).toHaveLength(1);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      reason: 'rejected',
      status: 422,
      customer: { user_id: 'bad', phone: 'call me maybe' },
      errors: [{ field: 'customers.1.phone' }],
    });
    expect(await storedIds()).toEqual(['ok1', 'ok2']);
  });

  it('never retries other 4xx: a bad key is reported at once', async () => {
    const front = await startFlakyFront({ target: beacon.url, failures: 0, misbehave: unavailable });
    closers.push(front.close);
    const { sdk, failures } = client({ host: front.url, key: 'pk_not_a_real_key' });
    sdk.identify({ user_id: 'k1' });
    await sdk.flush();
    expect(front.attempts).toHaveLength(1);
    expect(failures).toMatchObject([{ reason: 'failed', status: 401, customer: { user_id: 'k1' } }]);
  });

  it('bounds the queue: beyond maxQueueSize calls are dropped and reported', async () => {
    const { sdk, failures } = client({ maxQueueSize: 3, flushInterval: 60_000 });
    const queued = [1, 2, 3, 4, 5].map((n) => sdk.identify({ user_id: `q${n}` }));
    expect(queued).toEqual([true, true, true, false, false]);
    expect(failures.map((failure) => [failure.reason, failure.customer.user_id])).toEqual([
      ['queue_full', 'q4'],
      ['queue_full', 'q5'],
    ]);
    await sdk.flush();
    expect(await storedIds()).toEqual(['q1', 'q2', 'q3']);
  });

  it('close() flushes, then refuses new calls', async () => {
    const { sdk, failures } = client({ flushInterval: 60_000 });
    sdk.identify({ user_id: 'c1' });
    await sdk.close();
    expect(await storedIds()).toEqual(['c1']);
    expect(sdk.identify({ user_id: 'c2' })).toBe(false);
    expect(failures).toMatchObject([{ reason: 'closed', customer: { user_id: 'c2' } }]);
  });

  it('the built package runs in plain Node 20 (a child process, global fetch)', async () => {
    const script = `
      const { Beacon } = await import(${JSON.stringify(new URL('../../packages/client/dist/packages/client/src/beacon-client.js', import.meta.url).href)});
      const beacon = new Beacon({ key: process.env.KEY, host: process.env.HOST });
      beacon.identify({ user_id: 'from-node', email: 'node@example.com' });
      await beacon.close();
    `;
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, KEY: SECRET_KEY, HOST: beacon.url },
    });
    expect((await get(beacon.app, '/customers/from-node')).body.data.email).toBe('node@example.com');
  });
});
