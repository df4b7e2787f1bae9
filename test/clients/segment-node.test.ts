// Proof with Segment's own Node library: @segment/analytics-node, host pointed at Beacon.
import { Analytics } from '@segment/analytics-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { get, PUBLIC_KEY } from '../support/harness.js';
import { startBeacon } from './servers.js';

describe('@segment/analytics-node pointed at Beacon', () => {
  let beacon: Awaited<ReturnType<typeof startBeacon>>;
  beforeEach(async () => {
    beacon = await startBeacon();
  });
  afterEach(async () => beacon.close());

  it('identifies several users; the profiles read back through Beacon', async () => {
    const analytics = new Analytics({ writeKey: PUBLIC_KEY, host: beacon.url, flushAt: 10, flushInterval: 60_000, maxRetries: 0 });
    const errors: unknown[] = [];
    analytics.on('error', (error) => errors.push(error));
    const statuses: number[] = [];
    analytics.on('http_response', (response) => statuses.push(response.status));

    analytics.identify({
      userId: 'seg-1',
      traits: { email: 'ada@example.com', name: 'Ada Lovelace', createdAt: '2020-04-01T21:12:34Z', plan: 'pro', company: { name: 'Analytical' } },
      context: { ip: '203.0.113.7' },
    });
    analytics.identify({ userId: 'seg-2', traits: { firstName: 'Grace', lastName: 'Hopper', phone: '+15555555555', seats: 5 } });
    analytics.identify({ anonymousId: 'anon-seg', traits: { utm_source: 'ads' } });
    analytics.track({ userId: 'seg-1', event: 'Logged In' });
    analytics.identify({ userId: 'seg-3', anonymousId: 'anon-seg', traits: { email: 'three@example.com' } });
    await analytics.closeAndFlush({ timeout: 20_000 });

    expect(errors).toEqual([]);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect((await get(beacon.app, '/customers/seg-1')).body.data).toMatchObject({
      email: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
      signed_up_at: 1585775554,
      ip: '203.0.113.7',
      custom_attributes: { plan: 'pro', company_name: 'Analytical' },
    });
    expect((await get(beacon.app, '/customers/seg-2')).body.data).toMatchObject({
      name: 'Grace Hopper',
      phone: '+15555555555',
      custom_attributes: { seats: 5 },
    });
    // The anonymous visitor became seg-3: one profile, with the anonymous traits.
    expect((await get(beacon.app, '/customers/seg-3')).body.data).toMatchObject({
      anonymous_id: 'anon-seg',
      email: 'three@example.com',
      custom_attributes: { utm_source: 'ads' },
    });
    expect((await get(beacon.app, '/customers?limit=100')).body.data.customers).toHaveLength(3);
  });

  it('a wrong write key fails the delivery without retrying (401)', async () => {
    const analytics = new Analytics({ writeKey: 'pk_wrong', host: beacon.url, flushAt: 1, maxRetries: 3 });
    const statuses: number[] = [];
    analytics.on('http_response', (response) => statuses.push(response.status));
    const failed = new Promise<unknown>((resolve) => analytics.on('error', resolve));
    analytics.identify({ userId: 'nope' });
    await failed;
    await analytics.closeAndFlush({ timeout: 5_000 });
    expect(statuses).toEqual([401]);
    expect((await get(beacon.app, '/customers/nope')).status).toBe(404);
  });
});
