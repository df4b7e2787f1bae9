// Pure identify rules: which stored profile a call applies to, and what the profile becomes.
// Stores call these inside one transaction that holds the rows involved, so the
// read → compute → write below is never a race (see src/store/*).
import type { AttributeValue, Profile } from './schemas.js';

/** A validated, normalised identify call. `undefined` = omitted (keep), `null` = clear. */
export interface CustomerChanges {
  userId?: string;
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
 * email matches case-insensitively, most recently seen first. Returns the profile the call
 * applies to, or null to create one.
 */
export function chooseProfile<T extends Pick<ProfileRow, 'userId'>>(
  changes: CustomerChanges,
  found: { byUserId: T | undefined; byEmail: readonly T[] },
): T | null {
  if (changes.userId !== undefined) {
    if (found.byUserId) return found.byUserId; // rule 1
    const only = found.byEmail.length === 1 ? found.byEmail[0] : undefined;
    if (changes.email && only && only.userId === null) return only; // rule 2: upgrade in place
    return null; // rule 4
  }
  return found.byEmail[0] ?? null; // rule 3 (null: create an email-only profile)
}

/** Whether the store must look profiles up by email for this call. */
export function needsEmailLookup(changes: CustomerChanges, byUserIdFound: boolean): boolean {
  return !byUserIdFound && typeof changes.email === 'string';
}

/** What `existing` (or a new profile, when null) becomes after `changes`. */
export function applyChanges(existing: ProfileRow | null, changes: CustomerChanges, ctx: MergeContext): ProfileDraft {
  const base: ProfileRow = existing ?? {
    id: 0,
    userId: null,
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
