// The CLI on PostgreSQL: the same commands, through the real binary, against a real database.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probePostgres, uniqueName } from '../support/stores.js';
import { cliSandbox } from './cli-harness.js';

const url = process.env.BEACON_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/beacon_test_cli';
const probe = await probePostgres(url);
if (probe.unavailable) {
  if (process.env.CI === 'true') throw new Error(`CLI on PostgreSQL: ${probe.unavailable} (CI=true requires PostgreSQL)`);
  console.warn(`[skip] CLI on PostgreSQL: ${probe.unavailable}`);
}

const sandbox = cliSandbox();
afterAll(() => sandbox.cleanup());
const db = ['--database', url];

describe.runIf(probe.unavailable === null)('beacon CLI on PostgreSQL', () => {
  it('migrates, manages keys, imports with rejects, and round-trips an export', async () => {
    expect((await sandbox.ok([...db, 'migrate'])).stdout).toMatch(/postgres schema is at version \d+/);
    const shop = uniqueName('cli-shop');
    const copy = uniqueName('cli-copy');
    await sandbox.ok([...db, 'projects', 'create', shop, '--default-region', 'US', '--no-keys']);
    await sandbox.ok([...db, 'projects', 'create', copy, '--default-region', 'US', '--no-keys']);

    const key = (await sandbox.ok([...db, 'keys', 'create', '--project', shop, '--kind', 'secret'])).stdout.trim();
    const [listed] = JSON.parse((await sandbox.ok([...db, 'keys', 'list', '--project', shop, '--json'])).stdout) as { prefix: string }[];
    expect(key.startsWith((listed as { prefix: string }).prefix)).toBe(true);
    const rotated = (await sandbox.ok([...db, 'keys', 'rotate', key, '--project', shop])).stdout.trim();
    await sandbox.ok([...db, 'keys', 'revoke', (listed as { prefix: string }).prefix, '--project', shop]);
    const active = JSON.parse((await sandbox.ok([...db, 'keys', 'list', '--project', shop, '--json'])).stdout) as { prefix: string }[];
    expect(active.map((k) => k.prefix)).toEqual([rotated.slice(0, active[0]?.prefix.length)]);

    const rows = Array.from({ length: 1200 }, (_, i) => `p${i},p${i}@example.com,"Last, First",(415) 555-${String(1000 + (i % 9000)).padStart(4, '0')},${i % 2 === 0}`);
    const file = join(sandbox.dir, 'pg.csv');
    writeFileSync(file, `\ufeffuser_id,email,name,phone,paid\n${rows.join('\n')}\np-bad,nope,,,\n`);
    const imported = await sandbox.ok([...db, 'import', file, '--project', shop, '--json'], { expected: 2 });
    expect(JSON.parse(imported.stdout)).toMatchObject({ rows: 1201, stored: 1200, rejected: 1 });

    const exported = (await sandbox.ok([...db, 'export', '--project', shop])).stdout;
    const profiles = exported.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(profiles).toHaveLength(1200);
    expect(profiles[0]).toMatchObject({ user_id: 'p0', phone: '+14155551000', first_name: 'Last,', custom_attributes: { paid: true }, sessions: 0 });

    const out = join(sandbox.dir, 'pg.ndjson');
    writeFileSync(out, exported);
    await sandbox.ok([...db, 'import', out, '--project', copy]);
    const strip = (list: Record<string, unknown>[]) =>
      list.map(({ id: _i, first_seen: _f, last_seen: _l, sessions: _s, updated_at: _u, ...rest }) => rest);
    const copied = (await sandbox.ok([...db, 'export', '--project', copy])).stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(strip(copied)).toEqual(strip(profiles));
  });
});
