import { describe, expect, it } from 'vitest';
import { absorbProfile, applyChanges, resolveIdentity, toProfile, type ProfileRow } from '../../src/customers/merge.js';

const row = (over: Partial<ProfileRow> = {}): ProfileRow => ({
  id: 1,
  userId: 'u1',
  anonymousId: null,
  email: 'a@b.io',
  firstName: 'Ada',
  lastName: null,
  phone: null,
  signedUpAt: null,
  ip: null,
  attributes: { plan: 'pro' },
  firstSeen: 5_000,
  lastSeen: 9_000,
  sessions: 2,
  updatedAt: 9_000,
  ...over,
});

describe('resolveIdentity with anonymous ids', () => {
  const anonymous = row({ id: 7, userId: null, email: null, firstName: null, anonymousId: 'anon-1', attributes: { utm: 'ad' } });

  it('an anonymous-only call updates the profile holding its anonymousId', () => {
    const result = resolveIdentity({ anonymousId: 'anon-1', updateSession: true }, { byUserId: undefined, byEmail: [], byAnonymousId: anonymous });
    expect(result).toEqual({ target: anonymous, absorb: null, changes: { anonymousId: 'anon-1', updateSession: true } });
  });

  it('a first userId for a known anonymousId upgrades the anonymous profile in place', () => {
    const result = resolveIdentity({ userId: 'u9', anonymousId: 'anon-1', updateSession: true }, { byUserId: undefined, byEmail: [], byAnonymousId: anonymous });
    expect(result.target).toBe(anonymous);
    expect(result.absorb).toBeNull();
  });

  it('a userId that already has a profile absorbs the anonymous one', () => {
    const known = row();
    const result = resolveIdentity({ userId: 'u1', anonymousId: 'anon-1', updateSession: true }, { byUserId: known, byEmail: [], byAnonymousId: anonymous });
    expect(result.target).toBe(known);
    expect(result.absorb).toBe(anonymous);
  });

  it('an anonymousId already held by another user is not moved or duplicated', () => {
    const other = row({ id: 3, userId: 'someone-else', anonymousId: 'anon-1' });
    const result = resolveIdentity({ userId: 'u2', anonymousId: 'anon-1', updateSession: true }, { byUserId: undefined, byEmail: [], byAnonymousId: other });
    expect(result.target).toBeNull();
    expect(result.absorb).toBeNull();
    expect(result.changes).toEqual({ userId: 'u2', updateSession: true });
  });
});

describe('absorbProfile', () => {
  it('keeps the known profile fields, fills its gaps from the anonymous one and combines activity', () => {
    const known = row({ firstSeen: 6_000, lastSeen: 8_000, sessions: 2 });
    const anonymous = row({
      id: 7,
      userId: null,
      anonymousId: 'anon-1',
      email: 'other@b.io',
      firstName: 'Anon',
      lastName: 'Lovelace',
      attributes: { plan: 'free', utm: 'ad' },
      firstSeen: 4_000,
      lastSeen: 9_500,
      sessions: 1,
    });
    const merged = absorbProfile(known, anonymous);
    expect(toProfile(merged)).toMatchObject({
      id: 1,
      user_id: 'u1',
      anonymous_id: 'anon-1',
      email: 'a@b.io',
      first_name: 'Ada',
      last_name: 'Lovelace',
      custom_attributes: { plan: 'pro', utm: 'ad' },
      first_seen: 4_000,
      last_seen: 9_500,
      sessions: 3,
    });
  });

  it('applyChanges sets the anonymousId once and never overwrites it', () => {
    const ctx = { now: 10_000, sessionTimeout: 1800 };
    expect(applyChanges(null, { anonymousId: 'a', updateSession: false }, ctx).anonymousId).toBe('a');
    expect(applyChanges(row({ anonymousId: 'a' }), { anonymousId: 'b', updateSession: false }, ctx).anonymousId).toBe('a');
  });
});
