// `beacon export` streams every profile; re-imported into an empty database it yields the same profiles.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliSandbox, type CliSandbox } from './cli-harness.js';

let source: CliSandbox;
let target: CliSandbox;
beforeEach(() => {
  source = cliSandbox();
  target = cliSandbox();
});
afterEach(() => {
  source.cleanup();
  target.cleanup();
});

/** What an import can carry over: everything but the ids and activity the server keeps itself. */
function comparable(profiles: Record<string, unknown>[]) {
  return profiles
    .map(({ id: _id, first_seen: _f, last_seen: _l, sessions: _s, updated_at: _u, ...rest }) => rest)
    .sort((a, b) => String(a.user_id ?? a.email).localeCompare(String(b.user_id ?? b.email)));
}

async function seed(): Promise<void> {
  const customers = [
    { user_id: '1', email: 'billy@crowdpower.io', name: 'Billy Madison', phone: '+15555555555', signed_up_at: 1585775554, custom_attributes: { username: 'billy', plan: 'pro', paid: true, seats: 3, ratio: 0.25 } },
    { user_id: '2', first_name: 'Ada', custom_attributes: { note: 'commas, "quotes"\nand a newline', email: 'attr-named-email@example.com' } },
    { email: 'only-email@example.com', ip: '2001:db8::1', custom_attributes: { vip: false } },
    { user_id: 'élan', last_name: 'Núñez de Balboa', ip: '192.0.2.1' },
  ];
  // Through the API's identify rules, as a back-fill: written as NDJSON and imported.
  const file = join(source.dir, 'seed.ndjson');
  writeFileSync(file, customers.map((c) => JSON.stringify(c)).join('\n') + '\n');
  await source.ok(['import', file]);
  // Many more than one export page (1,000), to cross page boundaries.
  const many = Array.from({ length: 2500 }, (_, i) => `bulk${i},bulk${i}@example.com,plan${i % 3},${i}`).join('\n');
  writeFileSync(join(source.dir, 'many.csv'), `user_id,email,plan,rank\n${many}\n`);
  await source.ok(['import', join(source.dir, 'many.csv')]);
}

describe('beacon export', () => {
  it('NDJSON round trip: export → import into an empty database → the same profiles', async () => {
    await seed();
    const out = join(source.dir, 'export.ndjson');
    const exported = await source.ok(['export', '--out', out]);
    expect(exported.stderr).toContain('Exported 2,504 profiles');
    const original = await source.profiles();
    expect(original).toHaveLength(2504);
    expect(readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line))).toEqual(original);

    await target.ok(['import', out]);
    expect(comparable(await target.profiles())).toEqual(comparable(original));
    // Importing the same export again changes nothing.
    await target.ok(['import', out]);
    expect(comparable(await target.profiles())).toEqual(comparable(original));
  });

  it('CSV round trip, including attribute columns named like standard fields', async () => {
    await seed();
    const out = join(source.dir, 'export.csv');
    await source.ok(['export', '--out', out]);
    const csv = readFileSync(out, 'utf8');
    const header = csv.slice(0, csv.indexOf('\n'));
    expect(header).toBe(
      'user_id,email,first_name,last_name,phone,signed_up_at,ip,custom_attributes.email,note,paid,plan,rank,ratio,seats,username,vip,anonymous_id,first_seen,last_seen,sessions,updated_at,id',
    );
    await target.ok(['import', out]);
    expect(comparable(await target.profiles())).toEqual(comparable(await source.profiles()));
  });

  it('writes CSV to stdout with --format csv, and refuses an unknown project', async () => {
    await source.ok(['import', '-', '--format', 'ndjson'], { input: '{"user_id":"x","custom_attributes":{"a":1}}\n' });
    const result = await source.ok(['export', '--format', 'csv']);
    expect(result.stdout.split('\n')[1]).toMatch(/^x,,,,,,,1,,\d+,,0,\d+,1$/);
    const unknown = await source.run(['export', '--project', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No project is named "nope"');
  });
});
