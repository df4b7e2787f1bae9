// The quick start, for real: the built server in an empty directory, its printed keys and curl.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/harness.js';

const MAIN = resolve(import.meta.dirname, '../../dist/main.js');
const run = promisify(execFile);

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

interface Running {
  child: ChildProcess;
  output: () => string;
}

async function start(cwd: string, port: number, env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, [MAIN, 'serve'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (out += chunk));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return { child, output: () => out };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not start: ${out}`);
}

async function stop(running: Running): Promise<number | null> {
  if (running.child.exitCode !== null) return running.child.exitCode;
  return new Promise((done) => {
    running.child.once('exit', (code) => done(code));
    running.child.kill('SIGTERM');
  });
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('first start', () => {
  it('creates ./data, prints the keys once with a working curl command, and keeps data across restarts', async () => {
    if (!existsSync(MAIN)) throw new Error('dist/main.js missing: npm test builds it first (pretest)');
    const cwd = tempDir('beacon-e2e-');
    cleanups.push(() => rmSync(cwd, { recursive: true, force: true }));
    const port = await freePort();
    const first = await start(cwd, port);
    cleanups.push(async () => void (await stop(first)));
    await new Promise((r) => setTimeout(r, 200));
    const banner = first.output();
    const publicKey = /public key[^:]*:\s+(pk_\S+)/.exec(banner)?.[1];
    const secretKey = /secret key[^:]*:\s+(sk_\S+)/.exec(banner)?.[1];
    expect(publicKey).toMatch(/^pk_[A-Za-z0-9_-]{20,}$/);
    expect(secretKey).toMatch(/^sk_[A-Za-z0-9_-]{20,}$/);
    expect(existsSync(join(cwd, 'data', 'beacon.sqlite'))).toBe(true);

    // The printed curl command, run as printed.
    const lines = banner.split('\n');
    const at = lines.findIndex((line) => line.includes('curl') && line.includes('/customers ') );
    const command = `${lines[at]!.replace(/\\\s*$/, '')} ${lines[at + 1]!.trim()}`;
    const { stdout } = await run('bash', ['-c', command]);
    expect(JSON.parse(stdout)).toEqual({ success: true, code: 200, data: null });
    const readLine = lines.find((line) => line.includes('curl') && line.includes('/customers/1'))!;
    const read = JSON.parse((await run('bash', ['-c', readLine.trim()])).stdout);
    expect(read.data).toMatchObject({ first_name: 'Billy', last_name: 'Madison', phone: '+15555555555', sessions: 1 });

    // The database holds only hashes: the raw keys appear nowhere in it.
    expect(await stop(first)).toBe(0);
    const { stdout: dump } = await run('bash', ['-c', `cat data/beacon.sqlite* | strings`], { cwd, maxBuffer: 64 * 1024 * 1024 });
    expect(dump).not.toContain(publicKey!);
    expect(dump).not.toContain(secretKey!);

    const second = await start(cwd, port);
    cleanups.push(async () => void (await stop(second)));
    await new Promise((r) => setTimeout(r, 200));
    expect(second.output()).not.toContain('pk_');
    const again = await fetch(`http://127.0.0.1:${port}/customers/1`, { headers: { authorization: `Bearer ${secretKey}` } });
    expect((await again.json()).data.first_name).toBe('Billy');
    // Logs are structured lines without keys.
    expect(second.output()).not.toContain(secretKey!);
  });

  it('uses BEACON_PUBLIC_KEY / BEACON_SECRET_KEY and prints no generated keys', async () => {
    const cwd = tempDir('beacon-e2e-');
    cleanups.push(() => rmSync(cwd, { recursive: true, force: true }));
    const port = await freePort();
    const env = { BEACON_PUBLIC_KEY: 'pk_e2e_configured_0123456789', BEACON_SECRET_KEY: 'sk_e2e_configured_0123456789' };
    const server = await start(cwd, port, env);
    cleanups.push(async () => void (await stop(server)));
    const response = await fetch(`http://127.0.0.1:${port}/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.BEACON_PUBLIC_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'cfg' }),
    });
    expect(response.status).toBe(200);
    const read = await fetch(`http://127.0.0.1:${port}/customers/cfg`, { headers: { authorization: `Bearer ${env.BEACON_SECRET_KEY}` } });
    expect(read.status).toBe(200);
    expect(server.output()).not.toContain('pk_');
    expect(server.output()).not.toContain('sk_');
  });
});
