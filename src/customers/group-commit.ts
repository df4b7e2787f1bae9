// Group commit: identify calls that arrive while the event loop is busy with other requests
// are written in one store transaction, and every caller is answered only after that single
// commit. A durable commit (an fsync) costs far more than the rows it carries, so this is what
// lets one small server take thousands of durable identify calls a second.
//
// Nothing is traded away: each call was validated on its own before it got here, the store
// applies the items in arrival order (so identity resolution and the session rule see every
// earlier call of the group, exactly as if they had been sent one after another), and a
// promise resolves only once its item is committed. If the group's transaction fails, the
// items are retried one by one so that one bad item cannot fail the others; each caller then
// gets its own item's outcome.
//
// Pipelining: a store that declares `identifyConcurrency` above 1 (PostgreSQL) reports when a
// group's transaction holds all its locks; the lane's next group starts then, while the first
// one still writes and waits for its commit to reach the disk. Where two groups touch the same
// identity or profile the later one waits for the earlier one's locks, so arrival order still
// decides; groups that touch nothing in common commit in whichever order the disk acknowledges.
// A group that fails before it holds its locks keeps the next group waiting until its items
// have been retried one by one, so that those items too are applied before later arrivals.
import type { Clock } from '../clock.js';
import { AuthChangedError, type IdentifyBatch, type Project, type Store } from '../store/store.js';
import type { CustomerChanges } from './merge.js';

export interface GroupCommitOptions {
  store: Store;
  clock: Clock;
  /** Items per transaction at most; later arrivals wait for the next group. */
  maxGroup?: number;
  /** Told about every batch after it commits. */
  onStored?: (batch: IdentifyBatch) => void;
}

export interface GroupCommitStats {
  /** Transactions that committed a group (including groups of one). */
  groups: number;
  /** Items committed through those transactions. */
  items: number;
  /** Groups whose transaction failed and were retried item by item. */
  fallbacks: number;
}

interface Pending {
  changes: CustomerChanges;
  sessionTimeout: number;
  /** Auth epoch of a cached key check (see IdentifyBatch.authEpoch); undefined = checked against the database. */
  authEpoch: number | undefined;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** One project's queue: its groups start one after another, in arrival order. */
interface Lane {
  projectId: number;
  queue: Pending[];
  /** A flush is scheduled or running; new arrivals just join the queue. */
  busy: boolean;
  /** Groups started and not yet settled. */
  inFlight: Set<Promise<void>>;
}

export type GroupCommit = ReturnType<typeof createGroupCommit>;

export const DEFAULT_MAX_GROUP = 1000;

export function createGroupCommit(options: GroupCommitOptions) {
  const { store, clock } = options;
  const maxGroup = options.maxGroup ?? DEFAULT_MAX_GROUP;
  const concurrency = Math.max(1, Math.floor(store.identifyConcurrency ?? 1));
  const lanes = new Map<number, Lane>();
  const stats: GroupCommitStats = { groups: 0, items: 0, fallbacks: 0 };

  async function write(projectId: number, group: readonly Pending[], onLocked?: () => void): Promise<void> {
    const batch: IdentifyBatch = {
      projectId,
      items: group.map((pending) => pending.changes),
      now: clock.now(),
      sessionTimeout: group[0]?.sessionTimeout ?? 0,
      authEpoch: group[0]?.authEpoch,
      ...(onLocked ? { onLocked } : {}),
    };
    await store.customers.identify(batch);
    try {
      options.onStored?.(batch);
    } catch {
      // The batch is committed: a listener's failure must not fail (or retry) the calls in it.
    }
  }

  /** The next group: the oldest items, up to maxGroup, sharing one session timeout and auth epoch. */
  function takeGroup(lane: Lane): Pending[] {
    const first = lane.queue[0];
    if (!first) return [];
    let end = 1;
    while (end < lane.queue.length && end < maxGroup) {
      const next = lane.queue[end] as Pending;
      if (next.sessionTimeout !== first.sessionTimeout || next.authEpoch !== first.authEpoch) break;
      end += 1;
    }
    return lane.queue.splice(0, end);
  }

  /** Settles every item of the group; never rejects. `onLocked` may open the way for the next group. */
  async function commit(lane: Lane, group: Pending[], onLocked: () => void): Promise<void> {
    try {
      // Only a store that pipelines is told (a batch may cross to a writer thread: no functions).
      await write(lane.projectId, group, concurrency > 1 ? onLocked : undefined);
      stats.groups += 1;
      stats.items += group.length;
      for (const pending of group) pending.resolve();
      return;
    } catch (error) {
      // A changed key or project concerns every call of the group alike: each re-authenticates.
      if (group.length === 1 || error instanceof AuthChangedError) {
        for (const pending of group) pending.reject(error);
        return;
      }
    }
    // The whole transaction rolled back; find out which items can be committed on their own.
    stats.fallbacks += 1;
    for (const pending of group) {
      try {
        await write(lane.projectId, [pending]);
        stats.groups += 1;
        stats.items += 1;
        pending.resolve();
      } catch (error) {
        pending.reject(error);
      }
    }
  }

  async function drain(lane: Lane): Promise<void> {
    try {
      for (let group = takeGroup(lane); group.length > 0; group = takeGroup(lane)) {
        let locked!: () => void;
        const holdsLocks = new Promise<void>((resolve) => (locked = resolve));
        const settled: Promise<void> = commit(lane, group, locked).finally(() => {
          lane.inFlight.delete(settled);
          forget(lane);
        });
        lane.inFlight.add(settled);
        // The next group starts once this one holds its locks (or has settled), and a slot is free.
        await Promise.race([holdsLocks, settled]);
        while (lane.inFlight.size >= concurrency) await Promise.race(lane.inFlight);
        // Let requests that arrived meanwhile be parsed and join the next group.
        if (lane.queue.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      lane.busy = false;
      if (lane.queue.length > 0) schedule(lane);
      else forget(lane);
    }
  }

  /** Drop an idle lane (nothing queued, scheduled or in flight). */
  function forget(lane: Lane): void {
    if (!lane.busy && lane.queue.length === 0 && lane.inFlight.size === 0 && lanes.get(lane.projectId) === lane) lanes.delete(lane.projectId);
  }

  function schedule(lane: Lane): void {
    lane.busy = true;
    // setImmediate runs after the poll phase: every request whose body was read in this turn
    // of the event loop has joined the queue by then.
    setImmediate(() => void drain(lane));
  }

  return {
    /** Resolves once `changes` is committed; rejects with the store's error when it could not be. */
    submit(project: Project, changes: CustomerChanges, sessionTimeout: number, authEpoch?: number): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        let lane = lanes.get(project.id);
        if (!lane) {
          lane = { projectId: project.id, queue: [], busy: false, inFlight: new Set() };
          lanes.set(project.id, lane);
        }
        lane.queue.push({ changes, sessionTimeout, authEpoch, resolve, reject });
        if (!lane.busy) schedule(lane);
      });
    },
    stats(): Readonly<GroupCommitStats> {
      return { ...stats };
    },
  };
}
