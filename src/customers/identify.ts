// The customer service: validate → resolve → store. Knows nothing of HTTP or SQL.
import type { Clock } from '../clock.js';
import type { Limits } from '../config.js';
import { BeaconError, validationError, type FieldError } from '../errors.js';
import type { CustomerSort, IdentifyBatch, ListOptions, Project, Store } from '../store/store.js';
import { createGroupCommit } from './group-commit.js';
import { toProfile, type CustomerChanges } from './merge.js';
import { normaliseCustomer } from './normalise.js';
import type { Profile } from './schemas.js';

export interface CustomerServiceDeps {
  store: Store;
  clock: Clock;
  limits: Limits;
  /** Server-wide session timeout in seconds; a project's own setting wins. */
  sessionTimeout: number;
  /** Most identify calls committed in one transaction (group commit). */
  maxGroup?: number;
  /** Told about every stored batch after it commits (the traits catalog listens here). */
  onStored?: (batch: IdentifyBatch) => void;
}

export interface BulkRejection {
  index: number;
  errors: FieldError[];
}

export interface BulkResult {
  accepted: number;
  rejected: BulkRejection[];
}

export interface ListRequest {
  email?: string;
  anonymousId?: string;
  q?: string;
  limit?: number;
  cursor?: string;
  sort?: string;
}

export interface ListPage {
  customers: Profile[];
  next_cursor: string | null;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;

const SORTS: readonly CustomerSort[] = ['created', 'last_seen'];

export function encodeCursor(id: number): string {
  return Buffer.from(`id:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): number | null {
  const match = /^id:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : null;
}

/** Position after a profile in last-seen order: its last_seen (`n` = never) and id. */
export function encodeSeenCursor(position: { lastSeen: number | null; id: number }): string {
  return Buffer.from(`seen:${position.lastSeen ?? 'n'}:${position.id}`, 'utf8').toString('base64url');
}

export function decodeSeenCursor(cursor: string): { lastSeen: number | null; id: number } | null {
  const match = /^seen:(n|\d{1,15}):(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) return null;
  return { lastSeen: match[1] === 'n' ? null : Number(match[1]), id: Number(match[2]) };
}

export type CustomerService = ReturnType<typeof createCustomerService>;

export function createCustomerService(deps: CustomerServiceDeps) {
  const { store, clock, limits } = deps;
  const timeoutOf = (project: Project) => project.sessionTimeout ?? deps.sessionTimeout;
  const groupCommit = createGroupCommit({ store, clock, maxGroup: deps.maxGroup, onStored: deps.onStored });

  async function write(project: Project, items: CustomerChanges[]): Promise<void> {
    if (items.length === 0) return;
    const batch: IdentifyBatch = { projectId: project.id, items, now: clock.now(), sessionTimeout: timeoutOf(project) };
    await store.customers.identify(batch);
    deps.onStored?.(batch);
  }

  /** Validate items; the valid ones with their indexes, and a report for the rest. */
  function validateMany(project: Project, inputs: readonly unknown[], pathOf: (index: number) => string) {
    const valid: CustomerChanges[] = [];
    const rejected: BulkRejection[] = [];
    inputs.forEach((input, index) => {
      const result = normaliseCustomer(input, { limits, defaultRegion: project.defaultRegion, path: pathOf(index) });
      if (result.ok) valid.push(result.value);
      else rejected.push({ index, errors: result.errors });
    });
    return { valid, rejected };
  }

  return {
    /**
     * One identify call. Throws a `validation_failed` BeaconError and stores nothing when invalid.
     * Resolves only after the call is committed, together with the calls that arrived alongside
     * it (see group-commit.ts). With `authEpoch` (the project came from a cached key check) it
     * throws AuthChangedError, having written nothing, if a key or project changed meanwhile.
     */
    async identify(project: Project, input: unknown, options: { authEpoch?: number } = {}): Promise<void> {
      const result = normaliseCustomer(input, { limits, defaultRegion: project.defaultRegion });
      if (!result.ok) throw validationError(result.errors);
      await groupCommit.submit(project, result.value, timeoutOf(project), options.authEpoch);
    },

    /** Group-commit counters, for the benchmark and diagnostics. */
    groupCommitStats: () => groupCommit.stats(),

    /**
     * Many identify calls, applied in array order in one transaction. Invalid items are reported
     * by index; valid ones are stored. Throws when the envelope itself is wrong (nothing stored).
     */
    async identifyBulk(project: Project, body: unknown): Promise<BulkResult> {
      const customers = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { customers?: unknown }).customers : undefined;
      if (!Array.isArray(customers)) {
        throw validationError([{ field: 'customers', message: 'must be an array of customer objects' }]);
      }
      if (customers.length === 0) {
        throw validationError([{ field: 'customers', message: 'must contain at least one customer' }]);
      }
      if (customers.length > limits.bulkItems) {
        throw new BeaconError('payload_too_large', `A bulk call takes at most ${limits.bulkItems} customers; split the batch.`, {
          errors: [{ field: 'customers', message: `has ${customers.length} items; the limit is ${limits.bulkItems}` }],
        });
      }
      const { valid, rejected } = validateMany(project, customers, (index) => `customers.${index}.`);
      await write(project, valid);
      return { accepted: valid.length, rejected };
    },

    /**
     * Many identify calls as independent rows (imports): applied in order in one transaction,
     * each invalid one reported by its index with field paths relative to the row. No envelope
     * and no item limit: the caller sizes its batches. `dryRun` validates without storing.
     */
    async identifyEach(project: Project, inputs: readonly unknown[], options: { dryRun?: boolean } = {}): Promise<BulkResult> {
      const { valid, rejected } = validateMany(project, inputs, () => '');
      if (!options.dryRun) await write(project, valid);
      return { accepted: valid.length, rejected };
    },

    /** Every profile of a project, oldest first, read in keyset pages so memory stays flat. */
    async *exportAll(project: Project, options: { pageSize?: number } = {}): AsyncGenerator<Profile> {
      const limit = options.pageSize ?? 1000;
      let afterId = 0;
      for (;;) {
        const rows = await store.customers.scan(project.id, { afterId, limit });
        for (const row of rows) yield toProfile(row);
        const last = rows[rows.length - 1];
        if (!last || rows.length < limit) return;
        afterId = last.id;
      }
    },

    async get(project: Project, userId: string): Promise<Profile> {
      const row = await store.customers.getByUserId(project.id, userId);
      if (!row) throw new BeaconError('not_found', 'No customer has this user_id.');
      return toProfile(row);
    },

    async list(project: Project, request: ListRequest): Promise<ListPage> {
      const errors: FieldError[] = [];
      const limit = request.limit ?? DEFAULT_PAGE;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
        errors.push({ field: 'limit', message: `must be an integer from 1 to ${MAX_PAGE}` });
      }
      const sort = (request.sort === undefined || request.sort === '' ? 'created' : request.sort) as CustomerSort;
      if (!SORTS.includes(sort)) errors.push({ field: 'sort', message: 'must be created or last_seen' });
      const options: ListOptions = { email: request.email, q: request.q?.trim(), limit: limit + 1, sort };
      if (request.cursor !== undefined && request.cursor !== '') {
        if (sort === 'last_seen') {
          const decoded = decodeSeenCursor(request.cursor);
          if (decoded === null) errors.push({ field: 'cursor', message: 'is not a cursor returned by this API for sort=last_seen' });
          else options.afterSeen = decoded;
        } else {
          const decoded = decodeCursor(request.cursor);
          if (decoded === null) errors.push({ field: 'cursor', message: 'is not a cursor returned by this API' });
          else options.beforeId = decoded;
        }
      }
      if (errors.length > 0) throw validationError(errors);
      const rows = await store.customers.list(project.id, { ...options, anonymousId: request.anonymousId });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const more = rows.length > limit && last !== undefined;
      return {
        customers: page.map(toProfile),
        next_cursor: !more ? null : sort === 'last_seen' ? encodeSeenCursor({ lastSeen: last.lastSeen, id: last.id }) : encodeCursor(last.id),
      };
    },

    async delete(project: Project, userId: string): Promise<void> {
      if (!(await store.customers.deleteByUserId(project.id, userId))) {
        throw new BeaconError('not_found', 'No customer has this user_id.');
      }
    },
  };
}
