// Concurrent identifies over a real socket, and what the logs may (not) contain.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PUBLIC_KEY, SECRET_KEY, startHarness, type Harness } from '../support/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function listen(harness: Harness): Promise<string> {
  await harness.app.listen({ port: 0, host: '127.0.0.1' });
  const address = harness.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

async function send(base: string, path: string, body: unknown, key = PUBLIC_KEY): Promise<number> {
  const response = await fetch(base + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

async function read(base: string, path: string) {
  const response = await fetch(base + path, { headers: { authorization: `Bearer ${SECRET_KEY}` } });
  return (await response.json()) as { data: any };
}

describe('concurrency over real HTTP', () => {
  it('50 concurrent identifies for one customer keep all 50 attributes and count one session', async () => {
    h = await startHarness();
    const base = await listen(h);
    const statuses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => send(base, '/customers', { user_id: 'racer', custom_attributes: { [`attr_${i}`]: i } })),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    const profile = (await read(base, '/customers/racer')).data;
    expect(Object.keys(profile.custom_attributes)).toHaveLength(50);
    expect(profile.custom_attributes.attr_49).toBe(49);
    expect(profile.sessions).toBe(1);
    expect((await read(base, '/customers?q=racer')).data.customers).toHaveLength(1);
  });

  it('20 concurrent email-only calls for a new email create one profile', async () => {
    h = await startHarness();
    const base = await listen(h);
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => send(base, '/customers', { email: i % 2 ? 'New@Example.com' : 'new@example.com', custom_attributes: { [`c${i}`]: true } })),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    const found = (await read(base, '/customers?email=new@example.com')).data.customers;
    expect(found).toHaveLength(1);
    expect(Object.keys(found[0].custom_attributes)).toHaveLength(20);
  });
});

describe('logs', () => {
  it('never contain keys, emails, phones or IPs, even for rejected calls', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    h = await startHarness({ logger: pino({ level: 'trace' }, sink) });
    const base = await listen(h);
    await send(base, '/customers', { user_id: 'secretive', email: 'private.person@example.com', phone: '+15555550123', ip: '203.0.113.77' });
    await send(base, '/customers', { user_id: 'secretive', email: 'x@y@z.example.com', phone: '+1 555 555 0199 zz' });
    await send(base, `/customers?api_key=${PUBLIC_KEY}`, { email: 'query.key@example.com' }, 'pk_bogus_key_1234567890abcdef');
    await fetch(`${base}/customers/secretive?api_key=${SECRET_KEY}`);
    await fetch(`${base}/customers?email=private.person@example.com`, { headers: { authorization: `Bearer ${SECRET_KEY}` } });
    await send(base, '/customers', '{"broken json', PUBLIC_KEY);
    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(5); // the logger really was in use
    for (const needle of [PUBLIC_KEY, SECRET_KEY, 'pk_bogus', 'private.person', 'query.key', 'x@y@z', '5555550123', '555 555 0199', '203.0.113.77', 'Bearer']) {
      expect(log, needle).not.toContain(needle);
    }
  });
});
