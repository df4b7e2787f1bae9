// The narrow interfaces every database implements. All SQL lives under src/store/<engine>/.
import type { CustomerChanges, ProfileRow } from '../customers/merge.js';

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
}

export interface IdentifyOutcome {
  /** Items skipped because their message id was already processed. */
  duplicates: number;
}

export interface ListOptions {
  email?: string;
  anonymousId?: string;
  q?: string;
  limit: number;
  /** Return profiles with `id` below this (pages run newest first). */
  beforeId?: number;
}

export interface CustomerStore {
  /** Resolve and merge every item atomically (one transaction, rules in src/customers/merge.ts). */
  identify(batch: IdentifyBatch): Promise<IdentifyOutcome>;
  getByUserId(projectId: number, userId: string): Promise<ProfileRow | null>;
  /** Newest first (by id). */
  list(projectId: number, options: ListOptions): Promise<ProfileRow[]>;
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
  listForProject(projectId: number): Promise<ApiKeyRecord[]>;
  /** Revoke by display prefix within a project; the number of keys revoked. */
  revoke(input: { projectId: number; displayPrefix: string; now: number }): Promise<number>;
}

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  readonly customers: CustomerStore;
  readonly projects: ProjectStore;
  readonly keys: KeyStore;
  /** Apply pending schema migrations (safe to call from several processes at once). */
  migrate(): Promise<MigrationReport>;
  /**
   * Runs `work` while no other process sharing this database runs exclusive work (start-up
   * bootstrap: several processes starting at once on an empty database create one default project).
   */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /** True while the database answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
