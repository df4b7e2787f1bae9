// The identify rules applied to a whole batch in memory, for stores that first lock and load
// every profile the batch could touch (src/store/postgres). Given the same rows, it reaches the
// same profiles as applying the items one by one with resolveIdentity/absorbProfile/applyChanges,
// which is what the SQLite store does statement by statement.
import {
  absorbProfile,
  applyChanges,
  emailKey,
  needsEmailLookup,
  resolveIdentity,
  type CustomerChanges,
  type MergeContext,
  type ProfileRow,
} from './merge.js';

export interface ResolvedBatch {
  /** Existing profiles to delete (anonymous profiles folded into a known one). Write these first. */
  deletes: number[];
  /** Profiles to create, in creation order, each in its final state after the whole batch. */
  inserts: ProfileRow[];
  /** Existing profiles (by `id`) in their final state. */
  updates: ProfileRow[];
}

interface Entry {
  row: ProfileRow;
  /** Creation order: existing ids, then new profiles after every existing one. */
  rank: number;
  /** Position in the insert list for a profile created by this batch. */
  created: number | null;
}

/**
 * Ranks of new profiles start above any id a store hands out. Not 2^53: above it a double
 * cannot tell 2^53 + 1 from 2^53, and profiles created in one batch would tie (ids stay far
 * below 2^52).
 */
const NEW_RANK = 2 ** 52;

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
 * `existing` must hold every stored profile whose user_id or anonymous_id appears in the batch,
 * and, for each lower-cased email E the batch names, the 2 + i + k most recently seen profiles
 * with E (2 = EMAIL_CANDIDATES; last_seen descending, nulls last, then id descending; all of
 * them if fewer), where i is the number of the batch's items naming E and k the number of
 * profiles holding E among those found by user_id or anonymous_id. The caller must keep them
 * locked until the result is written.
 *
 * Why that is enough, however many profiles share E: the rules ask of E's profiles only whether
 * exactly one has it (rule 2) and which was seen last (rule 3). A profile with E that was not
 * loaded ranks below the 2 + i + k that were, and the batch never changes it. One of those can
 * leave E, or fall back in the order (last_seen is set to the batch's clock, which may be behind
 * another server's), only if an item reaches it: by user_id or anonymous_id (at most k of them)
 * or by naming E (at most i). So at least two of them keep E and their place throughout: rule 2
 * sees more than one, as it would with every profile loaded, and an unloaded profile, ranking
 * below them, is never the one seen last.
 */
export function resolveBatch(input: { existing: readonly ProfileRow[]; items: readonly CustomerChanges[]; ctx: MergeContext }): ResolvedBatch {
  const byUserId = new Map<string, Entry>();
  const byAnonymousId = new Map<string, Entry>();
  const byEmail = new Map<string, Set<Entry>>();
  const entryOf = new Map<ProfileRow, Entry>();
  const created: (ProfileRow | null)[] = [];
  const updated = new Map<number, ProfileRow>();
  const deletes: number[] = [];

  const index = (entry: Entry) => {
    entryOf.set(entry.row, entry);
    if (entry.row.userId !== null) byUserId.set(entry.row.userId, entry);
    if (entry.row.anonymousId !== null) byAnonymousId.set(entry.row.anonymousId, entry);
    if (entry.row.email !== null) {
      const key = emailKey(entry.row.email);
      let set = byEmail.get(key);
      if (!set) byEmail.set(key, (set = new Set()));
      set.add(entry);
    }
  };
  const unindex = (entry: Entry) => {
    entryOf.delete(entry.row);
    if (entry.row.userId !== null && byUserId.get(entry.row.userId) === entry) byUserId.delete(entry.row.userId);
    if (entry.row.anonymousId !== null && byAnonymousId.get(entry.row.anonymousId) === entry) byAnonymousId.delete(entry.row.anonymousId);
    if (entry.row.email !== null) byEmail.get(emailKey(entry.row.email))?.delete(entry);
  };
  const entry = (row: ProfileRow | null): Entry | null => (row ? (entryOf.get(row) ?? null) : null);

  for (const row of input.existing) index({ row, rank: row.id, created: null });

  for (const item of input.items) {
    const found = item.userId !== undefined ? byUserId.get(item.userId) : undefined;
    const anonymous = item.anonymousId !== undefined ? byAnonymousId.get(item.anonymousId) : undefined;
    const candidates = needsEmailLookup(item, found !== undefined)
      ? [...(byEmail.get(emailKey(item.email as string)) ?? [])].sort(newestSeenFirst)
      : [];
    const { target, absorb, changes } = resolveIdentity(item, {
      byUserId: found?.row,
      byEmail: candidates.map((candidate) => candidate.row),
      byAnonymousId: anonymous?.row,
    });
    const targetEntry = entry(target);
    const absorbed = entry(absorb);
    if (absorbed) {
      unindex(absorbed);
      if (absorbed.created === null) {
        updated.delete(absorbed.row.id);
        deletes.push(absorbed.row.id);
      } else {
        created[absorbed.created] = null;
      }
    }
    const base = target && absorb ? absorbProfile(target, absorb) : target;
    const next = applyChanges(base, changes, input.ctx);
    if (targetEntry) {
      unindex(targetEntry);
      const replaced: Entry = { row: next, rank: targetEntry.rank, created: targetEntry.created };
      if (replaced.created === null) updated.set(next.id, next);
      else created[replaced.created] = next;
      index(replaced);
    } else {
      // A temporary id, unique within the batch, so the rules can tell new profiles apart.
      const row = { ...next, id: -(created.length + 1) };
      index({ row, rank: NEW_RANK + created.length, created: created.length });
      created.push(row);
    }
  }
  return {
    deletes,
    inserts: created.filter((row): row is ProfileRow => row !== null),
    updates: [...updated.values()],
  };
}
