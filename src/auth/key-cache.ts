// Key checks without a database read per request, for the identify hot path. Exact all the
// same: every change to a key or project moves the database's auth epoch (triggers), a cached
// check remembers the epoch it was made under, and the identify transaction refuses to write
// when the epoch has moved (AuthChangedError). The caller then checks the key against the
// database again — so a key revoked anywhere (API, CLI, another server) never writes again.
import type { Store } from '../store/store.js';
import { authenticateHash, hashKey, type AuthResult, type Principal } from './keys.js';

export type KeyCache = ReturnType<typeof createKeyCache>;

export function createKeyCache(store: Store, options: { maxEntries?: number } = {}) {
  const maxEntries = options.maxEntries ?? 1_000;
  /** By key hash: valid, unrevoked keys only, all checked under `epoch`. */
  const entries = new Map<string, Principal>();
  let epoch = -1;

  return {
    async authenticate(presented: string): Promise<AuthResult> {
      const presentedHash = hashKey(presented);
      const hit = entries.get(presentedHash);
      if (hit) return { ok: true, principal: hit };
      const result = await authenticateHash(store, presentedHash);
      if (!result.ok) return result; // refusals are never kept
      const { principal } = result;
      // Epochs only grow: a newer one makes every entry stale; an older one (a read that raced
      // a change) is answered but not kept.
      if (principal.epoch > epoch) {
        entries.clear();
        epoch = principal.epoch;
      }
      if (principal.epoch === epoch) {
        if (entries.size >= maxEntries) entries.clear();
        entries.set(presentedHash, principal);
      }
      return result;
    },
    /** Forget every entry (a write found the epoch moved, or this process changed a key). */
    invalidate(): void {
      entries.clear();
      epoch = -1;
    },
  };
}
