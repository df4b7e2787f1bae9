// `beacon import` through the real binary: CSV quirks, rejects, NDJSON, JSON, stdin, mapping,
// typing, sessions, dry runs and re-runs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliSandbox, type CliSandbox } from './cli-harness.js';

let sandbox: CliSandbox;
beforeEach(() => {
  sandbox = cliSandbox();
});
afterEach(() => sandbox.cleanup());

function write(name: string, content: string | Buffer): string {
  const path = join(sandbox.dir, name);
  writeFileSync(path, content);
  return path;
}

function rejectsOf(path: string): { line: number; errors: { field: string; message: string }[]; record: unknown }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

const byUserId = (profiles: Record<string, unknown>[]) => new Map(profiles.map((p) => [p.user_id, p]));

describe('beacon import (CSV)', () => {
  it('reads a BOM, quoted commas, quoted newlines and empty cells; bad rows go to the rejects file with line and reason', async () => {
    const csv = [
      'user_id,email,name,phone,signed_up_at,plan,paid,score,zip,notes',
      '1,Billy@CrowdPower.io,"Madison, Billy",+15555555555,1585775554,pro,true,42,02139,"said ""hi"", left"',
      '2,,Ada Lovelace,,,,,,,',
      '3,not-an-email,Bad Email,,,,,,,',
      '4,d@example.com,Too Few',
      '5,e@example.com,Multi Line,,,free,false,1.5,,"line one',
      'line two"',
      '6,f@example.com,Bad Phone,call me maybe,,,,,,',
      '7,g@example.com,Millis,,1585775554000,,,,,',
    ].join('\r\n');
    const file = write('customers.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv + '\r\n')]));

    const result = await sandbox.ok(['import', file], { expected: 2 });
    expect(result.stdout).toContain('Imported 7 rows');
    expect(result.stdout).toMatch(/3 stored, 4 rejected/);
    expect(result.stdout).toContain('customers.csv.rejects.ndjson');

    const profiles = byUserId(await sandbox.profiles());
    expect([...profiles.keys()]).toEqual(['1', '2', '5']);
    const billy = profiles.get('1') as Record<string, unknown>;
    // The BOM did not leak into the first column name: user_id was recognised.
    expect(billy).toMatchObject({
      email: 'Billy@CrowdPower.io',
      first_name: 'Madison,',
      last_name: 'Billy',
      phone: '+15555555555',
      signed_up_at: 1585775554,
      custom_attributes: { plan: 'pro', paid: true, score: 42, zip: '02139', notes: 'said "hi", left' },
      sessions: 0,
      last_seen: null,
    });
    // Empty cells are "no value": nothing set, no empty attributes.
    expect(profiles.get('2')).toMatchObject({ email: null, phone: null, custom_attributes: {} });
    expect(profiles.get('5')).toMatchObject({ custom_attributes: { plan: 'free', paid: false, score: 1.5, notes: 'line one\r\nline two' } });

    const rejects = rejectsOf(join(sandbox.dir, 'customers.csv.rejects.ndjson'));
    expect(rejects.map((r) => r.line)).toEqual([4, 5, 8, 9]);
    expect(rejects[0]?.errors).toEqual([{ field: 'email', message: expect.stringContaining('@') }]);
    expect(rejects[0]?.record).toMatchObject({ user_id: '3', email: 'not-an-email' });
    expect(rejects[1]?.errors[0]?.message).toContain('has 3 fields; the header has 10');
    expect(rejects[2]?.errors).toEqual([{ field: 'phone', message: expect.stringContaining('phone number') }]);
    expect(rejects[3]?.errors).toEqual([{ field: 'signed_up_at', message: expect.stringContaining('milliseconds') }]);
  });

  it('maps, skips and types columns, and turns --dates columns into UNIX seconds', async () => {
    const file = write(
      'crm.csv',
      ['Customer ID,E-mail,Plan Name,Trial Ends,Internal,signed_up_at,big_id', 'c1,a@example.com,pro,2024-03-01T10:00:00Z,x,2020-04-01,12345678901234567890'].join('\n'),
    );
    await sandbox.ok([
      'import', file,
      '--map', 'Customer ID=user_id', '--map', 'E-mail=email', '--map', 'Plan Name=plan', '--map', 'Trial Ends=trial_ends',
      '--skip', 'Internal', '--dates', 'Trial Ends',
    ]);
    const [profile] = await sandbox.profiles();
    expect(profile).toMatchObject({
      user_id: 'c1',
      email: 'a@example.com',
      signed_up_at: Date.UTC(2020, 3, 1) / 1000,
      // A 20-digit number cannot be kept exactly as a number: it stays text.
      custom_attributes: { plan: 'pro', trial_ends: Date.UTC(2024, 2, 1, 10) / 1000, big_id: '12345678901234567890' },
    });
    expect(Object.keys(profile?.custom_attributes as object)).not.toContain('Internal');
  });

  it('rejects a row whose --dates cell is not a date, and stops before writing when a column can never be an attribute', async () => {
    const dated = write('dated.csv', 'user_id,renews\n1,2024-05-01\n2,next tuesday\n');
    await sandbox.ok(['import', dated, '--dates', 'renews'], { expected: 2 });
    const [reject] = rejectsOf(join(sandbox.dir, 'dated.csv.rejects.ndjson'));
    expect(reject).toMatchObject({ line: 3, errors: [{ field: 'custom_attributes.renews' }] });

    const bad = write('bad-header.csv', 'user_id,Plan Name\n9,pro\n');
    const result = await sandbox.run(['import', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"Plan Name"');
    expect(result.stderr).toContain('--map');
    expect((await sandbox.profiles()).map((p) => p.user_id)).toEqual(['1']);
  });

  it('is idempotent, leaves sessions alone by default, and counts a visit with --update-session', async () => {
    const file = write('people.csv', 'user_id,email,plan\n1,a@example.com,free\n2,b@example.com,pro\n');
    await sandbox.ok(['import', file]);
    await sandbox.ok(['import', file]);
    let profiles = await sandbox.profiles();
    expect(profiles).toHaveLength(2);
    expect(profiles.every((p) => p.sessions === 0 && p.last_seen === null)).toBe(true);

    await sandbox.ok(['import', file, '--update-session']);
    profiles = await sandbox.profiles();
    expect(profiles).toHaveLength(2);
    expect(profiles.every((p) => p.sessions === 1 && typeof p.last_seen === 'number')).toBe(true);
  });

  it('--dry-run reports what would be rejected and stores nothing', async () => {
    const file = write('dry.csv', 'user_id,email\n1,a@example.com\n2,broken\n');
    const result = await sandbox.ok(['import', file, '--dry-run', '--json'], { expected: 2 });
    expect(JSON.parse(result.stdout)).toMatchObject({ rows: 2, valid: 1, stored: 0, rejected: 1, dry_run: true });
    expect(rejectsOf(join(sandbox.dir, 'dry.csv.rejects.ndjson'))).toHaveLength(1);
    expect(await sandbox.profiles()).toEqual([]);
  });

  it('uses the project default region for national phone numbers', async () => {
    await sandbox.ok(['projects', 'create', 'shop', '--no-keys', '--default-region', 'GB']);
    const file = write('uk.csv', 'user_id,phone\n1,020 7946 0018\n');
    await sandbox.ok(['import', file, '--project', 'shop']);
    expect((await sandbox.profiles('shop'))[0]).toMatchObject({ phone: '+442079460018' });
    // The same row in a project without a region is rejected: E.164 is required there.
    await sandbox.ok(['import', file], { expected: 2 });
  });

  it('prints plain progress lines when stderr is not a terminal, and a final summary', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `${i},user${i}@example.com`).join('\n');
    const file = write('many.csv', `user_id,email\n${rows}\n`);
    const result = await sandbox.ok(['import', file, '--batch-size', '500', '--progress-interval', '0']);
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('import:'));
    expect(lines.length).toBeGreaterThanOrEqual(6);
    expect(lines.at(-1)).toMatch(/3,000 rows · [\d,]+ rows\/s · 100% · ETA 0s · 0 rejected/);
    expect(result.stderr).not.toContain('\r');
    expect(result.stdout).toMatch(/3,000 stored, 0 rejected/);
  });

  it('fails clearly on a missing file or an unknown project', async () => {
    const missing = await sandbox.run(['import', 'nope.csv']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such file');
    const file = write('x.csv', 'user_id\n1\n');
    const unknown = await sandbox.run(['import', file, '--project', 'ghost']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('beacon projects create ghost');
  });
});

describe('beacon import (NDJSON, JSON, stdin)', () => {
  it('imports NDJSON, reporting a broken line and carrying on', async () => {
    const file = write(
      'events.ndjson',
      [
        '{"user_id":"1","name":"Ada Lovelace","custom_attributes":{"plan":"pro"},"team":"eng"}',
        '{"user_id":"2","email":"b@example.com"',
        '',
        '{"user_id":"3","custom_attributes":{"nested":{"no":true}}}',
        '42',
        '{"user_id":4,"signed_up_at":"2021-01-01","sessions":99}',
      ].join('\n'),
    );
    const result = await sandbox.ok(['import', file], { expected: 2 });
    expect(result.stdout).toMatch(/2 stored, 3 rejected/);
    const profiles = byUserId(await sandbox.profiles());
    expect(profiles.get('1')).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace', custom_attributes: { plan: 'pro', team: 'eng' } });
    // Server-managed fields are never taken from the file.
    expect(profiles.get('4')).toMatchObject({ signed_up_at: Date.UTC(2021, 0, 1) / 1000, sessions: 0 });
    const rejects = rejectsOf(join(sandbox.dir, 'events.ndjson.rejects.ndjson'));
    expect(rejects.map((r) => [r.line, r.errors[0]?.field])).toEqual([
      [2, 'record'],
      [4, 'custom_attributes.nested'],
      [5, 'record'],
    ]);
    expect(rejects[0]?.errors[0]?.message).toContain('not valid JSON');
  });

  it('imports a JSON array, detected by its content', async () => {
    const file = write('people.json', '[\n  {"user_id": "a", "email": "a@example.com"},\n  {"user_id": "b", "ip": "not-an-ip"},\n  {"email": "c@example.com", "vip": true}\n]\n');
    await sandbox.ok(['import', file], { expected: 2 });
    const profiles = await sandbox.profiles();
    expect(profiles.map((p) => p.user_id ?? p.email)).toEqual(['a', 'c@example.com']);
    expect(profiles[1]?.custom_attributes).toEqual({ vip: true });
    expect(rejectsOf(join(sandbox.dir, 'people.json.rejects.ndjson'))).toMatchObject([{ line: 3, errors: [{ field: 'ip' }] }]);
  });

  it('reads stdin with "-", sniffing the format, and writes stdin.rejects.ndjson', async () => {
    const csv = 'user_id,email\ns1,one@example.com\ns2,@@\n';
    const result = await sandbox.ok(['import', '-'], { input: csv, expected: 2 });
    expect(result.stdout).toMatch(/1 stored, 1 rejected/);
    expect(existsSync(join(sandbox.dir, 'stdin.rejects.ndjson'))).toBe(true);

    await sandbox.ok(['import', '-', '--format', 'ndjson'], { input: '{"user_id":"s3"}\n{"user_id":"s4"}\n' });
    expect((await sandbox.profiles()).map((p) => p.user_id)).toEqual(['s1', 's3', 's4']);
  });
});
