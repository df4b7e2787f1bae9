import { describe, expect, it } from 'vitest';
import { applyChanges, chooseProfile, mergeAttributes, type ProfileRow } from '../../src/customers/merge.js';

const ctx = { now: 10_000, sessionTimeout: 1800 };
const row = (over: Partial<ProfileRow> = {}): ProfileRow => ({
  id: 1,
  userId: 'u1',
  anonymousId: null,
  email: 'a@b.io',
  firstName: 'A',
  lastName: 'B',
  phone: null,
  signedUpAt: null,
  ip: null,
  attributes: { plan: 'free', seats: 1 },
  firstSeen: 5_000,
  lastSeen: 9_000,
  sessions: 2,
  updatedAt: 9_000,
  ...over,
});

describe('chooseProfile (identity resolution)', () => {
  const emailOnly = row({ id: 2, userId: null });
  it('rule 1: the profile with the user_id', () => {
    const mine = row();
    expect(chooseProfile({ userId: 'u1', email: 'x@y.io', updateSession: true }, { byUserId: mine, byEmail: [emailOnly] })).toBe(mine);
  });
  it('rule 2: upgrades the single email-only profile', () => {
    expect(chooseProfile({ userId: 'u9', email: 'a@b.io', updateSession: true }, { byUserId: undefined, byEmail: [emailOnly] })).toBe(emailOnly);
  });
  it('rule 2 does not apply when the email belongs to a profile with a user_id, or to several', () => {
    expect(chooseProfile({ userId: 'u9', email: 'a@b.io', updateSession: true }, { byUserId: undefined, byEmail: [row()] })).toBeNull();
    expect(
      chooseProfile({ userId: 'u9', email: 'a@b.io', updateSession: true }, { byUserId: undefined, byEmail: [emailOnly, row({ id: 3 })] }),
    ).toBeNull();
  });
  it('rule 3: email only → the most recently seen match, else a new profile', () => {
    const recent = row({ id: 3 });
    expect(chooseProfile({ email: 'a@b.io', updateSession: true }, { byUserId: undefined, byEmail: [recent, emailOnly] })).toBe(recent);
    expect(chooseProfile({ email: 'a@b.io', updateSession: true }, { byUserId: undefined, byEmail: [] })).toBeNull();
  });
});

describe('applyChanges', () => {
  it('creates a profile with one session and first_seen now', () => {
    const created = applyChanges(null, { userId: 'u1', updateSession: true }, ctx);
    expect(created).toMatchObject({ userId: 'u1', sessions: 1, firstSeen: 10_000, lastSeen: 10_000 });
  });
  it('creates a back-filled profile with no session and no last_seen', () => {
    expect(applyChanges(null, { userId: 'u1', updateSession: false }, ctx)).toMatchObject({ sessions: 0, lastSeen: null, firstSeen: 10_000 });
  });
  it('counts a new session only after the timeout', () => {
    expect(applyChanges(row({ lastSeen: 10_000 - 1800 }), { updateSession: true }, ctx).sessions).toBe(2);
    expect(applyChanges(row({ lastSeen: 10_000 - 1801 }), { updateSession: true }, ctx).sessions).toBe(3);
    const untouched = applyChanges(row({ lastSeen: 1 }), { updateSession: false }, ctx);
    expect(untouched).toMatchObject({ sessions: 2, lastSeen: 1 });
  });
  it('keeps omitted fields, clears nulls, never changes first_seen', () => {
    const next = applyChanges(row(), { firstName: null, phone: '+15555555555', updateSession: true }, ctx);
    expect(next).toMatchObject({ firstName: null, lastName: 'B', email: 'a@b.io', phone: '+15555555555', firstSeen: 5_000 });
  });
  it('gives an email-only profile its user_id but never replaces an existing one', () => {
    expect(applyChanges(row({ userId: null }), { userId: 'u2', updateSession: true }, ctx).userId).toBe('u2');
    expect(applyChanges(row(), { userId: 'u2', updateSession: true }, ctx).userId).toBe('u1');
  });
});

describe('mergeAttributes', () => {
  it('merges key by key and removes nulls without touching the stored object', () => {
    const stored = { plan: 'free', seats: 1, paid: false };
    const merged = mergeAttributes(stored, { plan: 'pro', seats: null, admin: true });
    expect({ ...merged }).toEqual({ plan: 'pro', paid: false, admin: true });
    expect(stored).toEqual({ plan: 'free', seats: 1, paid: false });
  });
});
