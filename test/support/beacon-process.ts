// The built server (dist/main.js) as a real child process on an ephemeral port.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const MAIN = resolve(import.meta.dirname, '../../dist/main.js');
export const PROCESS_PUBLIC_KEY = 'pk_proc_public_0123456789abcdef';
export const PROCESS_SECRET_KEY = 'sk_proc_secret_0123456789abcdef';

export interface ServerProcess {
  child: ChildProcess;
  base: string;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startServerProcess(input: { databaseUrl: string; env?: Record<string, string> }): Promise<ServerProcess> {
  if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: run `npm run build` (npm test does it first)');
  const child = spawn(process.execPath, [MAIN, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATABASE_URL: input.databaseUrl,
      BEACON_PUBLIC_KEY: PROCESS_PUBLIC_KEY,
      BEACON_SECRET_KEY: PROCESS_SECRET_KEY,
      ...input.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start within 30 s:\n${out}`)), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk;
      const match = /"port":(\d+),[^\n]*"msg":"beacon listening"/.exec(out);
      if (match) {
        clearTimeout(timer);
        done(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`server exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
  return { child, base: `http://127.0.0.1:${port}`, output: () => out, exited };
}

export async function killHard(server: ServerProcess): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  await server.exited;
}
