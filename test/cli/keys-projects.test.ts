// Projects, keys and --help through the real binary, and revocation seen by a running server.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliSandbox, startServer, type CliSandbox } from './cli-harness.js';

let sandbox: CliSandbox;
beforeEach(() => {
  sandbox = cliSandbox();
});
afterEach(() => sandbox.cleanup());

describe('beacon --help', () => {
  it('answers at every level', async () => {
    const levels = [[], ['serve'], ['migrate'], ['projects'], ['projects', 'create'], ['projects', 'list'], ['projects', 'update'], ['keys'], ['keys', 'create'], ['keys', 'list'], ['keys', 'revoke'], ['keys', 'rotate'], ['import'], ['export']];
    const results = await Promise.all(levels.map((level) => sandbox.run([...level, '--help'])));
    results.forEach((result, i) => {
      expect(result.code, levels[i]?.join(' ')).toBe(0);
      expect(result.stdout).toContain(`Usage: beacon${levels[i]?.length ? ' ' + levels[i]?.join(' ') : ''}`);
    });
    expect(results[0]?.stdout).toMatch(/import[\s\S]*export/);
    const unknown = await sandbox.run(['frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });
});

describe('beacon migrate and projects', () => {
  it('migrates, creates, lists and updates projects', async () => {
    expect((await sandbox.ok(['migrate'])).stdout).toMatch(/sqlite schema is at version \d+/);

    const created = await sandbox.ok(['projects', 'create', 'shop', '--json']);
    const { keys } = JSON.parse(created.stdout) as { keys: { public: string; secret: string } };
    expect(keys.public).toMatch(/^pk_/);
    expect(keys.secret).toMatch(/^sk_/);

    const duplicate = await sandbox.run(['projects', 'create', 'shop']);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('already exists');

    await sandbox.ok(['projects', 'update', 'shop', '--session-timeout', '45m', '--default-region', 'us']);
    let listed = JSON.parse((await sandbox.ok(['projects', 'list', '--json'])).stdout) as Record<string, unknown>[];
    expect(listed).toEqual([expect.objectContaining({ name: 'shop', session_timeout: 2700, default_region: 'US', active_keys: 2 })]);

    await sandbox.ok(['projects', 'update', 'shop', '--session-timeout', 'default', '--default-region', 'none']);
    listed = JSON.parse((await sandbox.ok(['projects', 'list', '--json'])).stdout) as Record<string, unknown>[];
    expect(listed[0]).toMatchObject({ session_timeout: null, default_region: null });
    expect((await sandbox.ok(['projects', 'list'])).stdout).toMatch(/shop\s+1800s \(server default\)/);

    for (const bad of [['--default-region', 'XX'], ['--session-timeout', '0'], ['--session-timeout', 'soon']]) {
      const result = await sandbox.run(['projects', 'update', 'shop', ...bad]);
      expect(result.code, bad.join(' ')).toBe(1);
      expect(result.stderr).toContain(bad[0]);
    }
    const badName = await sandbox.run(['projects', 'create', 'two words']);
    expect(badName.code).toBe(1);
  });
});

describe('beacon keys', () => {
  it('prints a new key once, lists prefixes only, rotates, and a running server refuses a revoked key on the next request', async () => {
    await sandbox.ok(['projects', 'create', 'shop', '--no-keys']);
    const server = await startServer(sandbox, { BEACON_SECRET_KEY: 'sk_default_project_key_0123456789' });
    try {
      // Created while the server runs: usable at once.
      const created = await sandbox.ok(['keys', 'create', '--project', 'shop', '--kind', 'secret']);
      const key = created.stdout.trim();
      expect(key).toMatch(/^sk_[A-Za-z0-9_-]{32}$/);
      expect(created.stderr).toContain('shown this once');

      const identify = (k: string, userId: string) =>
        fetch(`${server.url}/customers`, {
          method: 'POST',
          headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' },
          body: JSON.stringify({ user_id: userId }),
        });
      const read = (k: string, userId: string) => fetch(`${server.url}/customers/${userId}`, { headers: { authorization: `Bearer ${k}` } });
      expect((await identify(key, 'u1')).status).toBe(200);

      // Listings never contain the key.
      const listing = await sandbox.ok(['keys', 'list', '--project', 'shop']);
      expect(listing.stdout).not.toContain(key);
      const listed = JSON.parse((await sandbox.ok(['keys', 'list', '--json'])).stdout) as { prefix: string; project: string; kind: string }[];
      expect(JSON.stringify(listed)).not.toContain(key);
      const mine = listed.find((k) => k.project === 'shop');
      expect(mine).toMatchObject({ kind: 'secret', status: 'active' });
      const prefix = (mine as { prefix: string }).prefix;
      expect(key.startsWith(prefix)).toBe(true);
      expect(prefix.length).toBeLessThan(key.length / 2 + 1);

      // Rotation: a new key of the same kind; the old one keeps working until revoked.
      const rotated = await sandbox.ok(['keys', 'rotate', prefix]);
      const next = rotated.stdout.trim();
      expect(next).toMatch(/^sk_/);
      expect(next).not.toBe(key);
      expect(rotated.stderr).toContain(`beacon keys revoke ${prefix}`);
      expect((await read(next, 'u1')).status).toBe(200);
      expect((await read(key, 'u1')).status).toBe(200);

      const revoked = await sandbox.ok(['keys', 'revoke', prefix]);
      expect(revoked.stdout).toContain(`Revoked secret key ${prefix}`);
      const refused = await read(key, 'u1');
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ success: false, code: 401, message: expect.stringContaining('revoked') });
      expect((await read(next, 'u1')).status).toBe(200);

      // A revoked key is gone from the default listing, shown with --all, and cannot be revoked twice.
      expect((await sandbox.ok(['keys', 'list'])).stdout).not.toContain(prefix);
      expect((await sandbox.ok(['keys', 'list', '--all'])).stdout).toMatch(new RegExp(`${prefix}.*revoked`));
      const again = await sandbox.run(['keys', 'revoke', prefix]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('No active key');

      // Public keys: identify only.
      const publicKey = (await sandbox.ok(['keys', 'create', '--project', 'shop', '--kind', 'public'])).stdout.trim();
      expect(publicKey).toMatch(/^pk_/);
      expect((await identify(publicKey, 'u2')).status).toBe(200);
      expect((await read(publicKey, 'u2')).status).toBe(403);
    } finally {
      await server.stop();
    }
  });

  it('refuses a too-short prefix, the last active secret key and an unknown kind', async () => {
    await sandbox.ok(['keys', 'create', '--kind', 'secret'], { env: {} });
    const short = await sandbox.run(['keys', 'revoke', 'sk_']);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('at least 4 characters');
    await sandbox.ok(['keys', 'create', '--kind', 'secret']);
    // One of two secret keys may go; the last one may not (the owner would be locked out).
    const [first, second] = JSON.parse((await sandbox.ok(['keys', 'list', '--json'])).stdout) as { prefix: string }[];
    await sandbox.ok(['keys', 'revoke', (first as { prefix: string }).prefix]);
    const last = await sandbox.run(['keys', 'revoke', (second as { prefix: string }).prefix]);
    expect(last.code).toBe(1);
    expect(last.stderr).toContain('last active secret key');
    const kind = await sandbox.run(['keys', 'create', '--kind', 'root']);
    expect(kind.code).toBe(1);
    expect(kind.stderr).toContain('public');
  });
});
