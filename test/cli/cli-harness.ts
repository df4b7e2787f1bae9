// Drives the real built binary (`node dist/main.js …`) as a child process against a temp SQLite file.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, 'dist/main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliSandbox {
  dir: string;
  databaseUrl: string;
  run(args: string[], options?: { input?: string | Buffer; env?: Record<string, string> }): Promise<CliResult>;
  /** Runs and fails the test with the output when the status is not `expected`. */
  ok(args: string[], options?: { input?: string | Buffer; env?: Record<string, string>; expected?: number }): Promise<CliResult>;
  /** `beacon export` as parsed NDJSON profiles. */
  profiles(project?: string): Promise<Record<string, unknown>[]>;
  cleanup(): void;
}

export function cliSandbox(): CliSandbox {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-cli-test-'));
  const databaseUrl = `sqlite:${join(dir, 'beacon.sqlite')}`;
  const sandbox: CliSandbox = {
    dir,
    databaseUrl,
    async run(args, options = {}) {
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.stdin.on('error', () => {}); // the command may exit before reading all of stdin
      child.stdin.end(options.input ?? '');
      const [code] = (await once(child, 'close')) as [number | null];
      return { code, stdout, stderr };
    },
    async ok(args, options = {}) {
      const result = await sandbox.run(args, options);
      const expected = options.expected ?? 0;
      if (result.code !== expected) {
        throw new Error(`beacon ${args.join(' ')} exited ${result.code}, expected ${expected}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
      }
      return result;
    },
    async profiles(project = 'default') {
      const { stdout } = await sandbox.ok(['export', '--project', project]);
      return stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return sandbox;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** `beacon serve` as a real process; resolves once it answers /healthz. */
export async function startServer(sandbox: CliSandbox, env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: sandbox.dir,
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: sandbox.databaseUrl, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`beacon serve exited ${child.exitCode}: ${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`beacon serve did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
