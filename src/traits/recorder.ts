// Collects the attribute keys that identify calls store and writes them to the catalog in
// batches, so an identify call only touches a Map: at most one catalog transaction per
// project per interval (or per `maxPending` new keys), whatever the call rate.
import type { IdentifyBatch, Store, TraitRecord } from '../store/store.js';
import { defaultDisplayName, inferTrait } from './infer.js';

export interface TraitRecorderOptions {
  store: Store;
  /** Longest time an observation waits before it is written. */
  flushIntervalMs?: number;
  /** Distinct pending keys (all projects) that trigger a write at once. */
  maxPending?: number;
  /** Called when a write fails; the observations are kept for the next attempt. */
  onError?: (error: unknown) => void;
}

export interface TraitRecorder {
  /** Note the keys of a stored batch. Cheap: no I/O. */
  observe(batch: IdentifyBatch): void;
  /** Write everything pending now. */
  flush(): Promise<void>;
  /** Flush and stop the timer. */
  close(): Promise<void>;
}

export function createTraitRecorder(options: TraitRecorderOptions): TraitRecorder {
  const { store } = options;
  const interval = options.flushIntervalMs ?? 1000;
  const maxPending = options.maxPending ?? 5000;
  let pending = new Map<number, Map<string, TraitRecord>>();
  let pendingCount = 0;
  let timer: NodeJS.Timeout | null = null;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  function add(projectId: number, trait: TraitRecord): void {
    let keys = pending.get(projectId);
    if (!keys) pending.set(projectId, (keys = new Map()));
    const known = keys.get(trait.key);
    if (!known) {
      keys.set(trait.key, trait);
      pendingCount += 1;
      return;
    }
    known.firstSeen = Math.min(known.firstSeen, trait.firstSeen);
    known.lastSeen = Math.max(known.lastSeen, trait.lastSeen);
  }

  async function writeAll(): Promise<void> {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    const batch = pending;
    pending = new Map();
    pendingCount = 0;
    for (const [projectId, keys] of batch) {
      try {
        await store.traits.record({ projectId, traits: [...keys.values()] });
      } catch (error) {
        for (const trait of keys.values()) add(projectId, trait);
        options.onError?.(error);
      }
    }
    schedule();
  }

  function flush(): Promise<void> {
    chain = chain.then(writeAll);
    return chain;
  }

  function schedule(): void {
    if (closed) return;
    if (pendingCount >= maxPending) {
      void flush();
    } else if (!timer && pendingCount > 0) {
      timer = setTimeout(() => void flush(), interval);
      timer.unref();
    }
  }

  return {
    observe(batch) {
      for (const item of batch.items) {
        if (!item.attributes) continue;
        for (const key of Object.keys(item.attributes)) {
          const value = item.attributes[key];
          // null removes the attribute: nothing new is learnt about the key.
          if (value === null || value === undefined) continue;
          const known = pending.get(batch.projectId)?.get(key);
          if (known) {
            known.lastSeen = Math.max(known.lastSeen, batch.now);
            continue;
          }
          const { type, format } = inferTrait(key, value);
          add(batch.projectId, { key, displayName: defaultDisplayName(key), type, format, firstSeen: batch.now, lastSeen: batch.now });
        }
      }
      schedule();
    },
    flush,
    async close() {
      closed = true;
      await flush();
    },
  };
}
