// API keys: random, prefixed, shown once, stored only as SHA-256 plus a short display prefix.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord, KeyKind, Project, Store } from '../store/store.js';

const PREFIX: Record<KeyKind, string> = { public: 'pk_', secret: 'sk_' };

/** 24 random bytes = 192 bits, base64url. */
export function generateKey(kind: KeyKind): string {
  return PREFIX[kind] + randomBytes(24).toString('base64url');
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Enough to recognise a key in a listing, never enough to use it (at most half of it). */
export function displayPrefixOf(key: string): string {
  return key.slice(0, Math.min(11, Math.floor(key.length / 2)));
}

export interface Principal {
  project: Project;
  key: ApiKeyRecord;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: 'unknown' | 'revoked' };

/** Looks a presented key up by its hash and compares the hashes in constant time. */
export async function authenticate(store: Store, presented: string): Promise<AuthResult> {
  const hash = hashKey(presented);
  const key = await store.keys.findByHash(hash);
  if (!key || !timingSafeEqual(Buffer.from(key.hash, 'hex'), Buffer.from(hash, 'hex'))) return { ok: false, reason: 'unknown' };
  if (key.revokedAt !== null) return { ok: false, reason: 'revoked' };
  const project = await store.projects.findById(key.projectId);
  if (!project) return { ok: false, reason: 'unknown' };
  return { ok: true, principal: { project, key } };
}

/** Creates a key for a project; the returned `key` is the only time it exists in clear. */
export async function createKey(
  store: Store,
  input: { projectId: number; kind: KeyKind; now: number; key?: string },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const key = input.key ?? generateKey(input.kind);
  const record = await store.keys.insert({
    projectId: input.projectId,
    kind: input.kind,
    hash: hashKey(key),
    displayPrefix: displayPrefixOf(key),
    now: input.now,
  });
  return { key, record };
}
