// Minimal rotation and revocation by whole key, until the CLI's key management (src/auth/keys.ts
// on the cli branch) lands; same call shapes so callers switch by changing one import.
import { BeaconError } from '../errors.js';
import type { ApiKeyRecord, Store } from '../store/store.js';
import { createKey, hashKey } from './keys.js';

async function activeKey(store: Store, reference: string): Promise<ApiKeyRecord> {
  const record = await store.keys.findByHash(hashKey(reference));
  if (!record || record.revokedAt !== null) throw new BeaconError('not_found', 'No active key matches.');
  return record;
}

/** A new key of the same kind and project; the old one keeps working until it is revoked. */
export async function rotateKey(store: Store, input: { reference: string; now: number }): Promise<{ key: string; record: ApiKeyRecord }> {
  const old = await activeKey(store, input.reference);
  return createKey(store, { projectId: old.projectId, kind: old.kind, now: input.now });
}

/** Revokes the key; the next request presenting it gets 401. */
export async function revokeKey(store: Store, input: { reference: string; now: number }): Promise<void> {
  const old = await activeKey(store, input.reference);
  await store.keys.revoke({ projectId: old.projectId, displayPrefix: old.displayPrefix, now: input.now });
}
