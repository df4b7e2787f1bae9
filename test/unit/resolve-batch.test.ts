// The batch form of the identify rules (used by the PostgreSQL store) on hand-made rows.
import { describe, expect, it } from 'vitest';
import type { CustomerChanges, ProfileRow } from '../../src/customers/merge.js';
import { resolveBatch } from '../../src/customers/resolve-batch.js';

const ctx = { now: 2_000, sessionTimeout: 1800 };

function row(overrides: Partial<ProfileRow>): ProfileRow {
  return {
    id: 1,
    userId: null,
    anonymousId: null,
    email: null,
    firstName: null,
    lastName: null,
    phone: null,
    signedUpAt: null,
    ip: null,
    attributes: {},
    firstSeen: 1_000,
    lastSeen: 1_000,
    sessions: 1,
    updatedAt: 1_000,
    ...overrides,
  };
}

const call = (changes: Omit<CustomerChanges, 'updateSession'> & { updateSession?: boolean }): CustomerChanges => ({ updateSession: true, ...changes });

describe('resolveBatch', () => {
  it('sends an email-only call to the newest of several profiles created earlier in the same batch', () => {
    // Seen at the same second, so creation order decides, as `ORDER BY last_seen DESC, id DESC` does one call at a time.
    const result = resolveBatch({
      existing: [row({ id: 7, userId: 'old', email: 'a@x.io' })],
      items: [
        call({ userId: 'first', email: 'a@x.io' }),
        call({ userId: 'second', email: 'a@x.io' }),
        call({ email: 'a@x.io', firstName: 'Lead' }),
      ],
      ctx,
    });
    expect(result.inserts.map((profile) => [profile.userId, profile.firstName])).toEqual([
      ['first', null],
      ['second', 'Lead'],
    ]);
  });

  it('creates a profile once and lets later items of the batch find it by user_id and by email', () => {
    const result = resolveBatch({
      existing: [],
      items: [call({ email: 'A@x.io', attributes: { a: 1 } }), call({ userId: 'u', email: 'a@x.io' }), call({ userId: 'u', attributes: { b: true } })],
      ctx,
    });
    expect(result.updates).toEqual([]);
    expect(result.inserts).toHaveLength(1);
    expect(result.inserts[0]).toMatchObject({ userId: 'u', email: 'a@x.io', attributes: { a: 1, b: true }, sessions: 1, lastSeen: 2_000 });
  });

  it('email-only items update the most recently seen match; ties go to the newest profile', () => {
    const older = row({ id: 1, userId: 'old', email: 'p@x.io', lastSeen: 1_500 });
    const newer = row({ id: 2, userId: 'new', email: 'P@x.io', lastSeen: 1_900 });
    const never = row({ id: 3, userId: 'never', email: 'p@X.io', lastSeen: null, sessions: 0 });
    const first = resolveBatch({ existing: [older, newer, never], items: [call({ email: 'p@x.io', updateSession: false, attributes: { hit: 1 } })], ctx });
    expect(first.updates.map((r) => r.userId)).toEqual(['new']);
    const tie = resolveBatch({ existing: [older, row({ id: 9, userId: 'tie', email: 'p@x.io', lastSeen: 1_500 })], items: [call({ email: 'p@x.io' })], ctx });
    expect(tie.updates.map((r) => r.userId)).toEqual(['tie']);
  });

  it('a known user_id absorbs the anonymous profile of the same batch or of the database', () => {
    const stored = row({ id: 4, userId: null, anonymousId: 'anon-db', attributes: { utm: 'ad' }, sessions: 2 });
    const result = resolveBatch({
      existing: [stored, row({ id: 5, userId: 'known', attributes: { plan: 'pro' } })],
      items: [
        call({ anonymousId: 'anon-new', attributes: { seen: 1 } }),
        call({ userId: 'known', anonymousId: 'anon-new' }),
        call({ userId: 'known', anonymousId: 'anon-db' }),
      ],
      ctx,
    });
    expect(result.inserts).toEqual([]); // created, then folded into "known" within the batch
    expect(result.deletes).toEqual([4]);
    expect(result.updates).toHaveLength(1);
    expect(result.updates[0]).toMatchObject({ id: 5, anonymousId: 'anon-new', attributes: { plan: 'pro', seen: 1, utm: 'ad' } });
  });

  it('a profile touched twice is written once, in its final state, and a moved email is found under its new address', () => {
    const stored = row({ id: 7, userId: 'u', email: 'before@x.io', attributes: { keep: 'yes', drop: 1 } });
    const result = resolveBatch({
      existing: [stored],
      items: [call({ userId: 'u', email: 'after@x.io', attributes: { drop: null } }), call({ email: 'AFTER@x.io', attributes: { late: 2 } }), call({ email: 'before@x.io' })],
      ctx,
    });
    expect(result.updates).toHaveLength(1);
    expect(result.updates[0]).toMatchObject({ id: 7, email: 'AFTER@x.io', attributes: { keep: 'yes', late: 2 } });
    expect(result.inserts.map((r) => r.email)).toEqual(['before@x.io']);
    expect(stored.attributes).toEqual({ keep: 'yes', drop: 1 }); // inputs untouched
  });
});
