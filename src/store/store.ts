// The narrow interfaces every database implements. All SQL lives under src/store/<engine>/.
import type { CustomerChanges, ProfileRow } from '../customers/merge.js';
import type { AttributeValue } from '../customers/schemas.js';
import type { TraitFormat, TraitType } from '../traits/infer.js';

/**
 * The database cannot be reached or did not answer in time (connection refused or lost,
 * timeout, server shutting down). Callers may retry later; the HTTP layer answers 503.
 */
export class StoreUnavailableError extends Error {
  constructor(message = 'The database is not answering.', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * A key or project changed after the callers of an identify batch were authenticated (the
 * batch's `authEpoch` is no longer the database's). Nothing was written; authenticate again.
 */
export class AuthChangedError extends Error {
  static readonly code = 'BEACON_AUTH_CHANGED';
  readonly code = AuthChangedError.code;
  constructor() {
    super('A key or project changed since these calls were authenticated; nothing was written.');
    this.name = 'AuthChangedError';
  }
}

export interface MigrationReport {
  /** Versions applied by this call, oldest first (empty when the schema was current). */
  applied: number[];
  /** The schema version after the call. */
  version: number;
}

export type KeyKind = 'public' | 'secret';

export interface Project {
  id: number;
  name: string;
  /** Seconds; null = the server default (BEACON_SESSION_TIMEOUT). */
  sessionTimeout: number | null;
  /** ISO 3166 region for national phone formats; null = E.164 required. */
  defaultRegion: string | null;
  /** Browser origins allowed to call the ingest routes; null = the default (public keys: any, secret keys: none). */
  corsOrigins: string[] | null;
  createdAt: number;
}

export interface ApiKeyRecord {
  id: number;
  projectId: number;
  kind: KeyKind;
  /** SHA-256 of the key, hex. The key itself is never stored. */
  hash: string;
  /** Short, non-secret start of the key, shown in listings. */
  displayPrefix: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface IdentifyBatch {
  projectId: number;
  /** Applied in order, all in one transaction. */
  items: readonly CustomerChanges[];
  /** UNIX seconds. */
  now: number;
  sessionTimeout: number;
  /**
   * Client message ids (Segment's messageId), parallel to `items`. An item whose id was already
   * processed for this project within `dedupeSeconds` is skipped, in the same transaction.
   */
  messageIds?: readonly (string | undefined)[];
  dedupeSeconds?: number;
  /**
   * The auth epoch the callers' keys were checked under (from a cached key check). Every change
   * to a key or project moves the database's epoch (triggers); when it no longer matches, the
   * store writes nothing and throws AuthChangedError, so a revoked key never writes.
   */
  authEpoch?: number;
  /**
   * Called once the transaction holds every lock the batch needs. Set only for stores that
   * declare `identifyConcurrency` above 1: a batch started after this call is ordered after
   * this one wherever the two touch the same profiles or identities.
   */
  onLocked?: () => void;
}

export interface IdentifyOutcome {
  /** Items skipped because their message id was already processed. */
  duplicates: number;
}

export type CustomerSort = 'created' | 'last_seen';

export interface ListOptions {
  email?: string;
  anonymousId?: string;
  q?: string;
  limit: number;
  /** `created` (default): newest first by id. `last_seen`: most recently seen first, never-seen last, ties by id. */
  sort?: CustomerSort;
  /** sort `created`: return profiles with `id` below this. */
  beforeId?: number;
  /** sort `last_seen`: return profiles after this one in (last_seen desc nulls last, id desc) order. */
  afterSeen?: { lastSeen: number | null; id: number };
}

export interface ScanOptions {
  /** Return profiles with `id` above this (pages run oldest first). */
  afterId?: number;
  limit: number;
}

export interface CustomerStore {
  /** Resolve and merge every item atomically (one transaction, rules in src/customers/merge.ts). */
  identify(batch: IdentifyBatch): Promise<IdentifyOutcome>;
  getByUserId(projectId: number, userId: string): Promise<ProfileRow | null>;
  /** Newest first (by id), or by last seen (see ListOptions.sort). */
  list(projectId: number, options: ListOptions): Promise<ProfileRow[]>;
  /** Oldest first (by id), keyset-paginated: every profile of a project, one page at a time. */
  scan(projectId: number, options: ScanOptions): Promise<ProfileRow[]>;
  /** Hard delete; false when no profile has this user_id. */
  deleteByUserId(projectId: number, userId: string): Promise<boolean>;
}

export interface ProjectStore {
  create(input: { name: string; now: number }): Promise<Project>;
  findByName(name: string): Promise<Project | null>;
  findById(id: number): Promise<Project | null>;
  list(): Promise<Project[]>;
  update(
    id: number,
    settings: { sessionTimeout?: number | null; defaultRegion?: string | null; corsOrigins?: string[] | null },
  ): Promise<Project | null>;
}

export interface KeyStore {
  insert(input: { projectId: number; kind: KeyKind; hash: string; displayPrefix: string; now: number }): Promise<ApiKeyRecord>;
  findByHash(hash: string): Promise<ApiKeyRecord | null>;
  /** The key with this hash and its project, in one query (the per-request key check). */
  findWithProject(hash: string): Promise<{ key: ApiKeyRecord; project: Project; epoch: number } | null>;
  listForProject(projectId: number): Promise<ApiKeyRecord[]>;
  /** Revoke by display prefix within a project; the number of keys revoked. */
  revoke(input: { projectId: number; displayPrefix: string; now: number }): Promise<number>;
  /**
   * Revoke one active key of a project by id, in one statement that never revokes the project's
   * last active secret key (that would lock the owner out).
   */
  revokeById(input: { projectId: number; id: number; now: number }): Promise<'revoked' | 'not_found' | 'last_secret'>;
}

export interface TraitRecord {
  key: string;
  displayName: string;
  type: TraitType;
  format: TraitFormat;
  /** UNIX seconds. */
  firstSeen: number;
  lastSeen: number;
}

/** How many profiles hold a key right now, exact, computed on read. */
export interface TraitUsage {
  key: string;
  customers: number;
  /** A value some profile holds (used to infer a type for keys missing from the catalog). */
  sample: AttributeValue;
  /** Earliest first_seen and latest updated_at of those profiles. */
  firstSeen: number;
  lastSeen: number;
}

export interface TraitStore {
  /**
   * Upsert observations in one transaction: new keys are inserted as given; for known keys only
   * first/last seen widen. Type, format and display name of a known key never change here.
   */
  record(input: { projectId: number; traits: readonly TraitRecord[] }): Promise<void>;
  /** The catalog, by key. */
  list(projectId: number): Promise<TraitRecord[]>;
  get(projectId: number, key: string): Promise<TraitRecord | null>;
  usage(projectId: number): Promise<TraitUsage[]>;
  /**
   * One statement; null when the key is not in the catalog or its type is no longer
   * `expectedType` (a concurrent change: the caller re-reads and decides again).
   */
  update(input: {
    projectId: number;
    key: string;
    changes: { displayName?: string; type?: TraitType; format?: TraitFormat };
    expectedType?: TraitType;
  }): Promise<TraitRecord | null>;
}

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  readonly customers: CustomerStore;
  readonly projects: ProjectStore;
  readonly keys: KeyStore;
  readonly traits: TraitStore;
  /**
   * How many identify batches of one project may be in flight at once (group commit starts the
   * next batch once the previous one reports `onLocked`). Absent: 1, one batch after another.
   */
  readonly identifyConcurrency?: number;
  /** Apply pending schema migrations (safe to call from several processes at once). */
  migrate(): Promise<MigrationReport>;
  /**
   * Runs `work` while no other process sharing this database runs exclusive work (start-up
   * bootstrap: several processes starting at once on an empty database create one default project).
   */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /** True while the database answers. */
  ping(): Promise<boolean>;
  /** Connection pool state for /metrics; engines without a pool may leave it out. */
  poolStats?(): { total: number; idle: number; waiting: number };
  /** Durability settings in force (e.g. SQLite journal_mode and synchronous), for tests and ops. */
  durability?(): Promise<Record<string, string>>;
  close(): Promise<void>;
}
