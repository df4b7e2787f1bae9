// Slowloris: hundreds of half-open connections trickling headers or bodies must neither starve
// normal clients nor hold their sockets for long; they are answered 408 and closed.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PUBLIC_KEY, startHarness, type Harness } from '../support/harness.js';

let h: Harness | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await h?.close();
  h = undefined;
});

interface Slow {
  socket: Socket;
  closed: boolean;
  received: string;
}

function openSlow(port: number, mode: 'headers' | 'body'): Promise<Slow> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    const slow: Slow = { socket, closed: false, received: '' };
    socket.on('data', (chunk) => (slow.received += chunk));
    socket.on('close', () => (slow.closed = true));
    socket.on('error', () => {});
    socket.once('connect', () => {
      if (mode === 'headers') {
        socket.write('POST /customers HTTP/1.1\r\nHost: beacon\r\n');
      } else {
        socket.write(`POST /customers HTTP/1.1\r\nHost: beacon\r\nAuthorization: Bearer ${PUBLIC_KEY}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"user_id":"`);
      }
      // A byte now and then keeps an idle-socket timeout from helping: only header and request
      // deadlines stop these.
      const drip = setInterval(() => {
        if (socket.destroyed) clearInterval(drip);
        else socket.write(mode === 'headers' ? 'X-Slow: a\r\n' : 'a');
      }, 300);
      socket.once('close', () => clearInterval(drip));
      resolve(slow);
    });
    socket.once('error', reject);
  });
}

describe('slow clients', () => {
  it('400 half-open connections do not starve normal requests, and are cut off with a 408 envelope', async () => {
    h = await startHarness({ config: { timeouts: { headersMs: 1_500, requestMs: 3_000, keepAliveMs: 5_000, idleSocketMs: 30_000 } } });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (h.app.server.address() as { port: number }).port;
    const slow = [
      ...(await Promise.all(Array.from({ length: 300 }, () => openSlow(port, 'headers')))),
      ...(await Promise.all(Array.from({ length: 100 }, () => openSlow(port, 'body')))),
    ];

    // Normal clients, meanwhile: every call succeeds.
    const statuses: number[] = [];
    for (let round = 0; round < 5; round++) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const response = await fetch(`http://127.0.0.1:${port}/customers`, {
            method: 'POST',
            headers: { authorization: `Bearer ${PUBLIC_KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify({ user_id: `normal-${round}-${i}` }),
          });
          await response.arrayBuffer();
          return response.status;
        }),
      );
      statuses.push(...batch);
    }
    expect(statuses).toHaveLength(100);
    expect(statuses.every((status) => status === 200)).toBe(true);

    // The slow ones are dropped once their deadline passes (headers 1.5 s, whole request 3 s),
    // even though they keep sending.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && slow.some((s) => !s.closed)) await new Promise((r) => setTimeout(r, 100));
    expect(slow.filter((s) => !s.closed)).toHaveLength(0);
    const answered = slow.filter((s) => s.received.startsWith('HTTP/1.1 408'));
    expect(answered.length).toBeGreaterThan(slow.length / 2);
    const body = answered[0]!.received.split('\r\n\r\n')[1]!;
    expect(JSON.parse(body)).toMatchObject({ success: false, code: 408 });
  });
});
