// Pure identify rules: which stored profile a call applies to, and what the profile becomes.
// Stores call these inside one transaction that holds the rows involved, so the
// read → compute → write below is never a race (see src/store/*).
import type { AttributeValue, Profile } from './schemas.js';

/** A validated, normalised identify call. `undefined` = omitted (keep), `null` = clear. */
export interface CustomerChanges {
  userId?: string;
  /** A client-side id (Segment's `anonymousId`) for a visitor not yet known by user_id. */
  anonymousId?: string;
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  signedUpAt?: number | null;
  ip?: string | null;
  /** `null` values remove the attribute. */
  attributes?: Record<string, AttributeValue | null>;
  updateSession: boolean;
}

/** A stored profile as the stores read and write it. */
export interface ProfileRow {
  id: number;
  userId: string | null;
  anonymousId: string | null;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  signedUpAt: number | null;
  ip: string | null;
  attributes: Record<string, AttributeValue>;
  firstSeen: number;
  lastSeen: number | null;
  sessions: number;
  updatedAt: number;
}

/** A profile to write: `id` 0 means "insert". */
export type ProfileDraft = ProfileRow;

export interface MergeContext {
  /** UNIX seconds. */
  now: number;
  /** Seconds of inactivity that end a session. */
  sessionTimeout: number;
}

export function emailKey(email: string): string {
  return email.toLowerCase();
}

/**
 * The identity-resolution rules of the contract, given what the store found:
 * `byUserId` is the profile holding `changes.userId` (if any); `byEmail` the profiles whose
 * email matches case-insensitively, most recently seen first; `byAnonymousId` the profile
 * holding `changes.anonymousId` (if any). Returns the profile the call applies to, or null to
 * create one.
 */
export function chooseProfile<T extends Pick<ProfileRow, 'userId'>>(
  changes: CustomerChanges,
  found: { byUserId: T | undefined; byEmail: readonly T[]; byAnonymousId?: T | undefined },
): T | null {
  const anonymous = found.byAnonymousId;
  if (changes.userId !== undefined) {
    if (found.byUserId) return found.byUserId; // rule 1
    if (anonymous && anonymous.userId === null) return anonymous; // the visitor logs in: upgrade in place
    const only = found.byEmail.length === 1 ? found.byEmail[0] : undefined;
    if (changes.email && only && only.userId === null) return only; // rule 2: upgrade in place
    return null; // rule 4
  }
  if (anonymous) return anonymous;
  return found.byEmail[0] ?? null; // rule 3 (null: create an email-only profile)
}

export interface Resolution<T> {
  /** The profile the call applies to; null = create one. */
  target: T | null;
  /** An anonymous profile to fold into `target` and delete (same anonymousId, now with a user_id). */
  absorb: T | null;
  /** The changes to apply: `anonymousId` is dropped when another profile already holds it. */
  changes: CustomerChanges;
}

/** chooseProfile plus the anonymous-profile merge: what to update, what to fold in, what to apply. */
export function resolveIdentity<T extends Pick<ProfileRow, 'userId' | 'id'>>(
  changes: CustomerChanges,
  found: { byUserId: T | undefined; byEmail: readonly T[]; byAnonymousId: T | undefined },
): Resolution<T> {
  const target = chooseProfile(changes, found);
  const anonymous = found.byAnonymousId;
  if (!anonymous || (target && target.id === anonymous.id)) return { target, absorb: null, changes };
  if (target && changes.userId !== undefined && anonymous.userId === null) return { target, absorb: anonymous, changes };
  // Someone else holds this anonymousId (another user on a shared browser): leave it with them.
  const { anonymousId: _held, ...rest } = changes;
  return { target, absorb: null, changes: rest };
}

/**
 * One person seen first anonymously, then by user_id: the known profile wins field by field,
 * the anonymous one fills its gaps; activity is combined.
 */
export function absorbProfile(target: ProfileRow, anonymous: ProfileRow): ProfileRow {
  const attributes: Record<string, AttributeValue> = Object.create(null);
  for (const source of [anonymous.attributes, target.attributes]) {
    for (const key of Object.keys(source)) attributes[key] = source[key] as AttributeValue;
  }
  const lastSeen =
    target.lastSeen === null ? anonymous.lastSeen : anonymous.lastSeen === null ? target.lastSeen : Math.max(target.lastSeen, anonymous.lastSeen);
  return {
    ...target,
    anonymousId: target.anonymousId ?? anonymous.anonymousId,
    email: target.email ?? anonymous.email,
    firstName: target.firstName ?? anonymous.firstName,
    lastName: target.lastName ?? anonymous.lastName,
    phone: target.phone ?? anonymous.phone,
    signedUpAt: target.signedUpAt ?? anonymous.signedUpAt,
    ip: target.ip ?? anonymous.ip,
    attributes,
    firstSeen: Math.min(target.firstSeen, anonymous.firstSeen),
    lastSeen,
    sessions: target.sessions + anonymous.sessions,
  };
}

/**
 * How many of an email's profiles, most recently seen first, the rules look at: two tell
 * "exactly one" (rule 2) from more, and the first is rule 3's. A store applying calls one by one
 * reads this many; one resolving a batch in memory reads a few more (resolve-batch.ts).
 */
export const EMAIL_CANDIDATES = 2;

/** Whether the store must look profiles up by email for this call. */
export function needsEmailLookup(changes: CustomerChanges, byUserIdFound: boolean): boolean {
  return !byUserIdFound && typeof changes.email === 'string';
}

/** What `existing` (or a new profile, when null) becomes after `changes`. */
export function applyChanges(existing: ProfileRow | null, changes: CustomerChanges, ctx: MergeContext): ProfileDraft {
  const base: ProfileRow = existing ?? {
    id: 0,
    userId: null,
    anonymousId: null,
    email: null,
    firstName: null,
    lastName: null,
    phone: null,
    signedUpAt: null,
    ip: null,
    attributes: {},
    firstSeen: ctx.now,
    lastSeen: null,
    sessions: 0,
    updatedAt: ctx.now,
  };
  const next: ProfileRow = { ...base, updatedAt: ctx.now };
  if (changes.userId !== undefined && next.userId === null) next.userId = changes.userId;
  if (changes.anonymousId !== undefined && next.anonymousId === null) next.anonymousId = changes.anonymousId;
  if (changes.email !== undefined) next.email = changes.email;
  if (changes.firstName !== undefined) next.firstName = changes.firstName;
  if (changes.lastName !== undefined) next.lastName = changes.lastName;
  if (changes.phone !== undefined) next.phone = changes.phone;
  if (changes.signedUpAt !== undefined) next.signedUpAt = changes.signedUpAt;
  if (changes.ip !== undefined) next.ip = changes.ip;
  if (changes.attributes) next.attributes = mergeAttributes(base.attributes, changes.attributes);
  if (changes.updateSession) {
    if (next.lastSeen === null || ctx.now - next.lastSeen > ctx.sessionTimeout) next.sessions += 1;
    next.lastSeen = ctx.now;
  }
  return next;
}

/** Key-by-key merge; `null` removes. Builds a fresh object, never mutates `stored`. */
export function mergeAttributes(
  stored: Record<string, AttributeValue>,
  changes: Record<string, AttributeValue | null>,
): Record<string, AttributeValue> {
  // A null-prototype object: no key, whatever it is, can reach Object.prototype.
  const merged: Record<string, AttributeValue> = Object.create(null);
  for (const key of Object.keys(stored)) merged[key] = stored[key] as AttributeValue;
  for (const key of Object.keys(changes)) {
    const value = changes[key];
    if (value === null || value === undefined) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

export function toProfile(row: ProfileRow): Profile {
  const name = [row.firstName, row.lastName].filter((part) => part).join(' ');
  return {
    id: row.id,
    user_id: row.userId,
    anonymous_id: row.anonymousId,
    email: row.email,
    name: name === '' ? null : name,
    first_name: row.firstName,
    last_name: row.lastName,
    phone: row.phone,
    signed_up_at: row.signedUpAt,
    ip: row.ip,
    custom_attributes: row.attributes,
    first_seen: row.firstSeen,
    last_seen: row.lastSeen,
    sessions: row.sessions,
    updated_at: row.updatedAt,
  };
}
