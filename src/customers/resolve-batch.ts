// The identify rules applied to a whole batch in memory, for stores that first lock and load
// every profile the batch could touch (src/store/postgres). Given the same rows, it reaches the
// same profiles as applying the items one by one with chooseProfile/applyChanges, which is what
// the SQLite store does statement by statement.
import { applyChanges, chooseProfile, emailKey, needsEmailLookup, type CustomerChanges, type MergeContext, type ProfileRow } from './merge.js';

export interface ResolvedBatch {
  /** Profiles to create, in creation order, each in its final state after the whole batch. */
  inserts: ProfileRow[];
  /** Existing profiles (by `id`) in their final state. */
  updates: ProfileRow[];
}

interface Entry {
  row: ProfileRow;
  /** Creation order: existing ids, then new profiles after every existing one. */
  rank: number;
  /** Position in `inserts` for a profile created by this batch. */
  created: number | null;
}

/** Ranks of new profiles start above any id a store hands out (ids stay below 2^53). */
const NEW_RANK = 2 ** 53;

function newestSeenFirst(a: Entry, b: Entry): number {
  const seenA = a.row.lastSeen;
  const seenB = b.row.lastSeen;
  if (seenA !== seenB) {
    if (seenA === null) return 1;
    if (seenB === null) return -1;
    return seenB - seenA;
  }
  return b.rank - a.rank;
}

/**
 * `existing` must hold every stored profile whose user_id or lower-cased email appears in the
 * batch, and the caller must keep them locked until the result is written.
 */
export function resolveBatch(input: { existing: readonly ProfileRow[]; items: readonly CustomerChanges[]; ctx: MergeContext }): ResolvedBatch {
  const byUserId = new Map<string, Entry>();
  const byEmail = new Map<string, Set<Entry>>();
  const inserts: ProfileRow[] = [];
  const updated = new Map<number, ProfileRow>();

  const index = (entry: Entry) => {
    if (entry.row.userId !== null) byUserId.set(entry.row.userId, entry);
    if (entry.row.email !== null) {
      const key = emailKey(entry.row.email);
      let set = byEmail.get(key);
      if (!set) byEmail.set(key, (set = new Set()));
      set.add(entry);
    }
  };
  const unindex = (entry: Entry) => {
    if (entry.row.userId !== null && byUserId.get(entry.row.userId) === entry) byUserId.delete(entry.row.userId);
    if (entry.row.email !== null) byEmail.get(emailKey(entry.row.email))?.delete(entry);
  };

  for (const row of input.existing) index({ row, rank: row.id, created: null });

  for (const changes of input.items) {
    const found = changes.userId !== undefined ? byUserId.get(changes.userId) : undefined;
    const candidates = needsEmailLookup(changes, found !== undefined)
      ? [...(byEmail.get(emailKey(changes.email as string)) ?? [])].sort(newestSeenFirst)
      : [];
    const chosen = chooseProfile(changes, {
      byUserId: found ? { userId: found.row.userId, entry: found } : undefined,
      byEmail: candidates.map((entry) => ({ userId: entry.row.userId, entry })),
    })?.entry;
    const next = applyChanges(chosen ? chosen.row : null, changes, input.ctx);
    if (chosen) {
      unindex(chosen);
      const entry: Entry = { row: next, rank: chosen.rank, created: chosen.created };
      if (entry.created === null) updated.set(next.id, next);
      else inserts[entry.created] = next;
      index(entry);
    } else {
      const entry: Entry = { row: next, rank: NEW_RANK + inserts.length, created: inserts.length };
      inserts.push(next);
      index(entry);
    }
  }
  return { inserts, updates: [...updated.values()] };
}
