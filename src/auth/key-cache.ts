// Key checks without a database read per request, for the identify hot path. Exact all the
// same: every change to a key or project moves the database's auth epoch (triggers), a cached
// check remembers the epoch it was made under, and the identify transaction refuses to write
// when the epoch has moved (AuthChangedError). The caller then checks the key against the
// database again — so a key revoked anywhere (API, CLI, another server) never writes again.
import { timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/store.js';
import { hashKey, type AuthResult, type Principal } from './keys.js';

export interface CachedPrincipal extends Principal {
  /** The auth epoch this check was made under; pass it to the write (IdentifyBatch.authEpoch). */
  epoch: number;
}

export type CachedAuthResult = { ok: true; principal: CachedPrincipal } | Extract<AuthResult, { ok: false }>;

export type KeyCache = ReturnType<typeof createKeyCache>;

export function createKeyCache(store: Store, options: { maxEntries?: number } = {}) {
  const maxEntries = options.maxEntries ?? 1_000;
  /** By key hash: valid, unrevoked keys only, all checked under `epoch`. */
  const entries = new Map<string, CachedPrincipal>();
  let epoch = -1;

  return {
    async authenticate(presented: string): Promise<CachedAuthResult> {
      const presentedHash = hashKey(presented);
      const hit = entries.get(presentedHash);
      if (hit) return { ok: true, principal: hit };
      const found = await store.keys.findWithProject(presentedHash);
      if (!found || !timingSafeEqual(Buffer.from(found.key.hash, 'hex'), Buffer.from(presentedHash, 'hex'))) return { ok: false, reason: 'unknown' };
      if (found.key.revokedAt !== null) return { ok: false, reason: 'revoked' };
      const principal: CachedPrincipal = { key: found.key, project: found.project, epoch: found.epoch };
      // Epochs only grow: a newer one makes every entry stale; an older one (a read that raced
      // a change) is answered but not kept.
      if (found.epoch > epoch) {
        entries.clear();
        epoch = found.epoch;
      }
      if (found.epoch === epoch) {
        if (entries.size >= maxEntries) entries.clear();
        entries.set(presentedHash, principal);
      }
      return { ok: true, principal };
    },
    /** Forget every entry (a write found the epoch moved, or this process changed a key). */
    invalidate(): void {
      entries.clear();
      epoch = -1;
    },
  };
}
