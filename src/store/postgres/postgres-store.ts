// PostgreSQL store: several stateless Beacon processes share one database.
// Identity resolution runs inside one transaction per batch: a shared advisory lock on the
// project, advisory locks on every (project, user_id) and (project, lower(email)) the batch
// names (a batch naming more than MAX_IDENTITY_LOCKS takes the project lock exclusively
// instead, to stay within PostgreSQL's lock table), then SELECT … FOR UPDATE of
// every profile those keys can reach, then the pure rules (src/customers/resolve-batch.ts), then
// one INSERT and one UPDATE. Any transaction that could add, change or remove a profile for
// a key holds that key's lock or the profile's row lock, so nothing is lost or duplicated
// whichever process serves a call.
import { hash } from 'node:crypto';
import pg from 'pg';
import type { AttributeValue } from '../../customers/schemas.js';
import { EMAIL_CANDIDATES, emailKey, type CustomerChanges, type ProfileRow } from '../../customers/merge.js';
import { resolveBatch } from '../../customers/resolve-batch.js';
import { AuthChangedError } from '../store.js';
import type {
  ApiKeyRecord,
  CustomerStore,
  IdentifyBatch,
  KeyStore,
  ListOptions,
  ScanOptions,
  MigrationReport,
  Project,
  ProjectStore,
  Store,
  TraitRecord,
  TraitStore,
  TraitUsage,
} from '../store.js';
import { toKey, toRow, toTrait, type CustomerRecord, type KeyProjectColumns, type KeyRecord, type TraitRow } from '../records.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { isRetryable, isUnavailable, translate } from './unavailable.js';

export interface PostgresStoreOptions {
  connectionString: string;
  /** Connections this process keeps at most. */
  poolSize: number;
  /** Milliseconds for a connect, a statement, or a wait for a free connection. */
  timeoutMs: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** Identify groups of one project in flight at once (see Store.identifyConcurrency); default min(4, poolSize − 1). */
  identifyConcurrency?: number;
}

interface ProjectRecord {
  id: number;
  name: string;
  session_timeout: number | null;
  default_region: string | null;
  cors_origins: string[] | null;
  created_at: number;
}

const CUSTOMER_COLUMNS =
  'id, user_id, anonymous_id, email, first_name, last_name, phone, signed_up_at, ip, custom_attributes::text AS custom_attributes, first_seen, last_seen, sessions, updated_at';

/** The name expression of the search index (migration 2); the query must spell it the same. */
const NAME_SEARCH = `lower(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')))`;

const MIGRATION_LOCK = 7_262_311_901; // any constants, one per purpose
const EXCLUSIVE_LOCK = 7_262_311_902;
/**
 * First half of the two-integer advisory lock (class, project id) that every identify
 * transaction takes before its identity locks: shared when it locks identities one by one,
 * exclusive when it names more than MAX_IDENTITY_LOCKS of them. (The two-integer form never
 * collides with the one-bigint identity keys.)
 */
const PROJECT_LOCK_CLASS = 72_623_119;
/**
 * PostgreSQL's lock table has room for max_locks_per_transaction × max_connections locks in
 * all (6,400 by default), shared by every session: a 5,000-customer bulk call (10,000 identity
 * locks) failed with "out of shared memory", and so did some 1,000-item calls made beside
 * identify traffic. A batch naming more identities than this locks its whole project instead.
 */
const MAX_IDENTITY_LOCKS = 256;
const MAX_ATTEMPTS = 5;

/** bigint (ids, UNIX seconds) as a JS number: every value Beacon stores is below 2^53. */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

function toProject(record: ProjectRecord): Project {
  return {
    id: record.id,
    name: record.name,
    sessionTimeout: record.session_timeout,
    defaultRegion: record.default_region,
    corsOrigins: record.cors_origins,
    createdAt: record.created_at,
  };
}

/** `%`, `_` and `\` match themselves (backslash is PostgreSQL's default LIKE escape). */
function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A 64-bit advisory-lock key for one identity within a project. */
function lockKey(projectId: number, kind: 'user' | 'anonymous' | 'email', value: string): bigint {
  // One-shot hash (no Hash object): two or three of these per identify call.
  return hash('sha256', `${projectId}\u0000${kind}\u0000${value}`, 'buffer').readBigInt64BE(0);
}

/** The identities a batch names, or a stored profile holds (emails lower-cased). */
interface Identities {
  userIds: Iterable<string>;
  anonymousIds: Iterable<string>;
  emails: Iterable<string>;
}

/**
 * The advisory-lock keys of these identities, without repeats, in one global order: two
 * transactions locking overlapping sets then never wait on each other in a cycle.
 */
function lockKeys(projectId: number, identities: Identities): bigint[] {
  const keys = new Set<bigint>();
  for (const id of identities.userIds) keys.add(lockKey(projectId, 'user', id));
  for (const id of identities.anonymousIds) keys.add(lockKey(projectId, 'anonymous', id));
  for (const email of identities.emails) keys.add(lockKey(projectId, 'email', email));
  return [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The rows for the json_to_recordset() writes: one JSON text, keys named as the columns. One
 * native JSON.stringify, where fourteen array parameters cost the driver an escaped literal per
 * value (5 of the 9 MB a 1,000-item batch allocated in this store).
 */
function rowsJson(rows: readonly ProfileRow[]): string {
  return JSON.stringify(
    rows.map((r) => ({
      id: r.id,
      user_id: r.userId,
      anonymous_id: r.anonymousId,
      email: r.email,
      email_lower: r.email === null ? null : emailKey(r.email),
      first_name: r.firstName,
      last_name: r.lastName,
      phone: r.phone,
      signed_up_at: r.signedUpAt,
      ip: r.ip,
      custom_attributes: r.attributes,
      first_seen: r.firstSeen,
      last_seen: r.lastSeen,
      sessions: r.sessions,
      updated_at: r.updatedAt,
    })),
  );
}

/** $2 (rows JSON) as a relation t, numbered in array order (t.ordinality). */
const ROWS = `ROWS FROM (json_to_recordset($2::json) AS (id bigint, user_id text, anonymous_id text, email text, email_lower text,
    first_name text, last_name text, phone text, signed_up_at bigint, ip text, custom_attributes jsonb, first_seen bigint,
    last_seen bigint, sessions integer, updated_at bigint)) WITH ORDINALITY AS t`;
const ROW_NAMES = `user_id, anonymous_id, email, email_lower, first_name, last_name, phone, signed_up_at, ip, custom_attributes,
  first_seen, last_seen, sessions, updated_at`;

/** New profiles, created (ids handed out) in the batch's order. */
const INSERT_CUSTOMERS = `
  INSERT INTO customers (project_id, ${ROW_NAMES})
  SELECT $1, ${ROW_NAMES} FROM ${ROWS} ORDER BY t.ordinality`;

/**
 * Existing profiles by id ($1, the same ids as $2's rows). The id array is what lets the planner
 * count the rows: it cannot see into the JSON (it assumes 100), and on a table whose statistics
 * lag behind its growth it then read the whole project into a hash join, 10 ms a batch at 26,000
 * profiles, where $1 gives one primary-key probe per row.
 */
const UPDATE_CUSTOMERS = `
  UPDATE customers AS c SET user_id = t.user_id, anonymous_id = t.anonymous_id, email = t.email, email_lower = t.email_lower,
    first_name = t.first_name, last_name = t.last_name, phone = t.phone, signed_up_at = t.signed_up_at, ip = t.ip,
    custom_attributes = t.custom_attributes, last_seen = t.last_seen, sessions = t.sessions, updated_at = t.updated_at
  FROM ${ROWS}
  WHERE c.id = ANY($1::bigint[]) AND c.id = t.id`;

export const BY_USER_ID = `SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE project_id = $1 AND user_id = $2`;

/**
 * Every profile an identify batch could touch, locked in id order (no lock-order cycles): those
 * holding a user_id ($2) or anonymous_id ($4) the batch names, and for each email it names,
 * the most recently seen profiles with that email, as many as the rules can reach (why that is
 * enough: resolveBatch in src/customers/resolve-batch.ts): EMAIL_CANDIDATES (2), plus the batch's items naming the
 * email, plus the profiles found by user_id or anonymous_id that hold it. The emails come in $3,
 * the number of items naming each in $5. An email shared by thousands of profiles then costs a
 * few index entries, not thousands of locked rows. Arrays, not JSON as the writes take their
 * rows: from an array the planner knows how many keys there are.
 * One index probe per key, whatever the statistics say. Written as `user_id = ANY(..) OR ..`
 * or as a plain join, the planner (without fresh statistics, as on a table that grew since its
 * last ANALYZE, e.g. with autovacuum off) read the whole project instead: a bitmap scan of
 * (project_id, ...) with a filter or a hash join, about 30 ms a batch at 70,000 profiles. OFFSET 0
 * keeps each LATERAL subquery from being flattened into such a join.
 */
export const LOCK_IDENTITIES = `WITH keyed AS (
    SELECT m.id, m.email_lower FROM unnest($2::text[]) AS k(v),
      LATERAL (SELECT id, email_lower FROM customers WHERE project_id = $1 AND user_id = k.v OFFSET 0) AS m
    UNION ALL SELECT m.id, m.email_lower FROM unnest($4::text[]) AS k(v),
      LATERAL (SELECT id, email_lower FROM customers WHERE project_id = $1 AND anonymous_id = k.v OFFSET 0) AS m)
  SELECT ${CUSTOMER_COLUMNS} FROM customers
  WHERE id IN (
    SELECT id FROM keyed
    UNION ALL SELECT m.id FROM unnest($3::text[], $5::integer[]) AS k(v, items),
      LATERAL (SELECT id FROM customers WHERE project_id = $1 AND email_lower = k.v
        ORDER BY last_seen DESC NULLS LAST, id DESC
        LIMIT ${EMAIL_CANDIDATES} + k.items + (SELECT count(*) FROM keyed WHERE keyed.email_lower = k.v)) AS m)
  ORDER BY id FOR UPDATE`;

/** Forget message ids older than the dedupe window (as the SQLite store does). */
const FORGET_MESSAGES = 'DELETE FROM processed_messages WHERE project_id = $1 AND received_at <= $2';

/** Claims each message id; those not returned were processed within the window (duplicates). */
const CLAIM_MESSAGES = `
  INSERT INTO processed_messages (project_id, message_id, received_at)
  SELECT $1, m, $2 FROM unnest($3::text[]) AS m
  ON CONFLICT (project_id, message_id) DO UPDATE SET received_at = excluded.received_at
  WHERE processed_messages.received_at <= $4
  RETURNING message_id`;

/** GET /customers: newest first, `id < cursor`, optional email filter and search. */
export function listQuery(projectId: number, options: ListOptions): { text: string; values: unknown[] } {
  const values: unknown[] = [projectId];
  const where = ['project_id = $1'];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const bySeen = options.sort === 'last_seen';
  if (!bySeen && options.beforeId !== undefined) where.push(`id < ${param(options.beforeId)}`);
  if (bySeen && options.afterSeen) {
    const id = param(options.afterSeen.id);
    if (options.afterSeen.lastSeen === null) where.push(`last_seen IS NULL AND id < ${id}`);
    else {
      const seen = param(options.afterSeen.lastSeen);
      where.push(`(last_seen < ${seen} OR (last_seen = ${seen} AND id < ${id}) OR last_seen IS NULL)`);
    }
  }
  if (options.email !== undefined) where.push(`email_lower = ${param(emailKey(options.email.trim()))}`);
  if (options.anonymousId !== undefined) where.push(`anonymous_id = ${param(options.anonymousId)}`);
  if (options.q !== undefined && options.q !== '') {
    const q = param(likePattern(options.q));
    where.push(`(lower(user_id) LIKE ${q} OR email_lower LIKE ${q} OR ${NAME_SEARCH} LIKE ${q})`);
  }
  return {
    text: `SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE ${where.join(' AND ')}
      ORDER BY ${bySeen ? 'last_seen DESC NULLS LAST, id DESC' : 'id DESC'} LIMIT ${param(options.limit)}`,
    values,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The batch's items minus those whose message id was already processed within the window. */
async function claimMessages(client: pg.PoolClient, batch: IdentifyBatch): Promise<readonly CustomerChanges[]> {
  if (!batch.messageIds) return batch.items;
  const cutoff = batch.now - (batch.dedupeSeconds ?? 0);
  await client.query(FORGET_MESSAGES, [batch.projectId, cutoff]);
  const distinct = [...new Set(batch.messageIds.filter((id): id is string => id !== undefined))];
  if (distinct.length === 0) return batch.items;
  const claimed = new Set(
    (await client.query<{ message_id: string }>(CLAIM_MESSAGES, [batch.projectId, batch.now, distinct, cutoff])).rows.map((r) => r.message_id),
  );
  // A second use of one id inside the batch finds the first claim (received now): a duplicate
  // unless the window is zero, exactly as claiming one item at a time would decide.
  const seen = new Set<string>();
  return batch.items.filter((_item, index) => {
    const id = batch.messageIds?.[index];
    if (id === undefined) return true;
    const repeat = seen.has(id);
    seen.add(id);
    return repeat ? batch.now <= cutoff : claimed.has(id);
  });
}

export function openPostgresStore(options: PostgresStoreOptions): Store {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    connectionTimeoutMillis: options.timeoutMs,
    // Server side: a statement (including a wait for a lock) is cancelled after the timeout.
    statement_timeout: options.timeoutMs,
    // Client side: a backstop for a network that swallows packets, where the server cannot answer.
    query_timeout: options.timeoutMs + 1_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: options.applicationName ?? 'beacon',
    // A 200 means committed to disk: never let a server or role default of
    // synchronous_commit=off acknowledge a commit that a database crash could lose.
    options: '-c synchronous_commit=on',
    types,
  });
  // An idle connection that dies (server restart, network cut) is dropped by the pool; the next
  // query opens a new one. Without this listener the error would crash the process.
  pool.on('error', () => {});

  async function query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await pool.query<R>(text, values);
    } catch (error) {
      throw translate(error);
    }
  }

  /** A pooled client; its connection-drop 'error' events are left to the failing query to report. */
  async function checkout(): Promise<{ client: pg.PoolClient; release: (destroy: boolean) => void }> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw translate(error);
    }
    const ignore = () => {};
    client.on('error', ignore);
    return {
      client,
      release(destroy) {
        client.off('error', ignore);
        client.release(destroy);
      },
    };
  }

  /**
   * Runs `work` in a transaction, again from the start after a deadlock or unique race.
   * `begin` replaces the plain BEGIN (it must start with it): statements without parameters
   * sent in the same round trip, whose results `work` receives.
   */
  async function transaction<T>(work: (client: pg.PoolClient, begun: pg.QueryResult[]) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      const { client, release } = await checkout();
      let destroy = false;
      try {
        const begun = (await client.query(begin)) as pg.QueryResult | pg.QueryResult[];
        const result = await work(client, Array.isArray(begun) ? begun : [begun]);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        if (isUnavailable(error)) destroy = true;
        else await client.query('ROLLBACK').catch(() => (destroy = true));
        if (!destroy && isRetryable(error) && attempt < MAX_ATTEMPTS) {
          await sleep(Math.random() * 10 * attempt);
          continue;
        }
        throw translate(error);
      } finally {
        release(destroy);
      }
    }
  }

  async function migrate(): Promise<MigrationReport> {
    const { client, release } = await checkout();
    try {
      // Migrations may take longer than a request is allowed to.
      await client.query('SET statement_timeout = 0');
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      try {
        await client.query(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)',
        );
        const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
        const report: MigrationReport = { applied: [], version: Math.max(0, ...applied) };
        for (const migration of POSTGRES_MIGRATIONS) {
          if (applied.has(migration.version)) continue;
          await client.query('BEGIN');
          try {
            await client.query(migration.sql);
            await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
              migration.version,
              migration.name,
              Math.floor(Date.now() / 1000),
            ]);
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK').catch(() => {});
            throw error;
          }
          report.applied.push(migration.version);
          report.version = Math.max(report.version, migration.version);
        }
        return report;
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
        await client.query('RESET statement_timeout').catch(() => {});
      }
    } catch (error) {
      throw translate(error);
    } finally {
      release(true); // session state (lock, settings) must not leak into the pool
    }
  }

  const customers: CustomerStore = {
    async identify(batch: IdentifyBatch) {
      if (batch.items.length === 0) return { duplicates: 0 };
      const userIds = new Set<string>();
      const anonymousIds = new Set<string>();
      /** Items naming each email (lower-cased): they bound how many of its profiles are loaded. */
      const emailItems = new Map<string, number>();
      for (const item of batch.items) {
        if (item.userId !== undefined) userIds.add(item.userId);
        if (item.anonymousId !== undefined) anonymousIds.add(item.anonymousId);
        if (typeof item.email === 'string') {
          const key = emailKey(item.email);
          emailItems.set(key, (emailItems.get(key) ?? 0) + 1);
        }
      }
      // Big batches hold the project alone: no identity locks (none is even hashed), no other
      // identify transaction of the project runs meanwhile (they wait for its commit, or it
      // waits for theirs).
      const wholeProject = userIds.size + anonymousIds.size + emailItems.size > MAX_IDENTITY_LOCKS;
      const locked = wholeProject ? [] : lockKeys(batch.projectId, { userIds, anonymousIds, emails: emailItems.keys() });
      // The locks go with BEGIN in one round trip (simple protocol, so no parameters: the keys
      // are integers written by us). They must be held before LOCK_IDENTITIES starts: in READ
      // COMMITTED a statement sees what was committed when it began. The project lock comes
      // first, identities after it in one global order: no two transactions wait in a cycle.
      let begin = wholeProject
        ? `BEGIN; SELECT pg_advisory_xact_lock(${PROJECT_LOCK_CLASS}, ${batch.projectId})`
        : `BEGIN; SELECT pg_advisory_xact_lock_shared(${PROJECT_LOCK_CLASS}, ${batch.projectId}); ` +
          `SELECT count(pg_advisory_xact_lock(k)) FROM unnest('{${locked.join(',')}}'::bigint[]) AS k`;
      if (batch.authEpoch !== undefined) begin += '; SELECT epoch::integer AS epoch FROM auth_epoch';
      return transaction(async (client, begun) => {
        if (batch.authEpoch !== undefined) {
          // A key revoked (or project changed) before this point can no longer write.
          const epoch = (begun.at(-1)?.rows[0] as { epoch?: number } | undefined)?.epoch;
          if (epoch !== batch.authEpoch) throw new AuthChangedError();
        }
        const items = await claimMessages(client, batch);
        const existing = (
          await client.query<CustomerRecord>(LOCK_IDENTITIES, [
            batch.projectId,
            [...userIds],
            [...emailItems.keys()],
            [...anonymousIds],
            [...emailItems.values()],
          ])
        ).rows.map(toRow);
        // The locked profiles may hold identities the batch does not name (an anonymous profile's
        // email, an address this batch replaces): lock those too, so that a batch naming one of
        // them waits for this commit instead of reading the profiles as they were before it (in
        // READ COMMITTED, a row lock wait does not show rows this batch inserts or moves to).
        const held = new Set(locked);
        const more = wholeProject ? [] : lockKeys(batch.projectId, {
          userIds: existing.flatMap((row) => (row.userId === null ? [] : [row.userId])),
          anonymousIds: existing.flatMap((row) => (row.anonymousId === null ? [] : [row.anonymousId])),
          emails: existing.flatMap((row) => (row.email === null ? [] : [emailKey(row.email)])),
        }).filter((key) => !held.has(key));
        if (more.length > 0) {
          await client.query('SELECT count(pg_advisory_xact_lock(k)) FROM unnest($1::bigint[]) AS k', [more.map(String)]);
        }
        batch.onLocked?.();
        const { deletes, inserts, updates } = resolveBatch({
          existing,
          items,
          ctx: { now: batch.now, sessionTimeout: batch.sessionTimeout },
        });
        // Deletes first: an absorbed profile's anonymous_id moves to the profile that absorbs it.
        if (deletes.length > 0) await client.query('DELETE FROM customers WHERE id = ANY($1::bigint[])', [deletes]);
        if (inserts.length > 0) await client.query(INSERT_CUSTOMERS, [batch.projectId, rowsJson(inserts)]);
        if (updates.length > 0) await client.query(UPDATE_CUSTOMERS, [updates.map((r) => r.id), rowsJson(updates)]);
        return { duplicates: batch.items.length - items.length };
      }, begin);
    },
    async getByUserId(projectId, userId) {
      const result = await query<CustomerRecord>(BY_USER_ID, [projectId, userId]);
      const record = result.rows[0];
      return record ? toRow(record) : null;
    },
    async list(projectId, options: ListOptions) {
      const { text, values } = listQuery(projectId, options);
      return (await query<CustomerRecord>(text, values)).rows.map(toRow);
    },
    async scan(projectId, options: ScanOptions) {
      // Keyset page over the (project_id, id) index: constant cost per page however deep.
      const result = await query<CustomerRecord>(
        `SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE project_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
        [projectId, options.afterId ?? 0, options.limit],
      );
      return result.rows.map(toRow);
    },
    async deleteByUserId(projectId, userId) {
      const result = await query('DELETE FROM customers WHERE project_id = $1 AND user_id = $2', [projectId, userId]);
      return (result.rowCount ?? 0) > 0;
    },
  };

  const projects: ProjectStore = {
    async create({ name, now }) {
      const result = await query<ProjectRecord>('INSERT INTO projects (name, created_at) VALUES ($1, $2) RETURNING *', [name, now]);
      return toProject(result.rows[0] as ProjectRecord);
    },
    async findByName(name) {
      const record = (await query<ProjectRecord>('SELECT * FROM projects WHERE name = $1', [name])).rows[0];
      return record ? toProject(record) : null;
    },
    async findById(id) {
      const record = (await query<ProjectRecord>('SELECT * FROM projects WHERE id = $1', [id])).rows[0];
      return record ? toProject(record) : null;
    },
    async list() {
      return (await query<ProjectRecord>('SELECT * FROM projects ORDER BY id')).rows.map(toProject);
    },
    async update(id, settings) {
      const result = await query<ProjectRecord>(
        `UPDATE projects SET
           session_timeout = CASE WHEN $2 THEN $3::integer ELSE session_timeout END,
           default_region = CASE WHEN $4 THEN $5::text ELSE default_region END,
           cors_origins = CASE WHEN $6 THEN $7::text[] ELSE cors_origins END
         WHERE id = $1 RETURNING *`,
        [
          id,
          settings.sessionTimeout !== undefined,
          settings.sessionTimeout ?? null,
          settings.defaultRegion !== undefined,
          settings.defaultRegion ?? null,
          settings.corsOrigins !== undefined,
          settings.corsOrigins ?? null,
        ],
      );
      const record = result.rows[0];
      return record ? toProject(record) : null;
    },
  };

  const keys: KeyStore = {
    async insert({ projectId, kind, hash, displayPrefix, now }) {
      const result = await query<KeyRecord>(
        'INSERT INTO api_keys (project_id, kind, key_hash, display_prefix, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *',
        [projectId, kind, hash, displayPrefix, now],
      );
      return toKey(result.rows[0] as KeyRecord);
    },
    async findByHash(hash) {
      const record = (await query<KeyRecord>('SELECT * FROM api_keys WHERE key_hash = $1', [hash])).rows[0];
      return record ? toKey(record) : null;
    },
    async findWithProject(hash) {
      const record = (
        await query<KeyRecord & KeyProjectColumns & { cors_origins: string[] | null }>(
          `SELECT k.*, p.name AS project_name, p.session_timeout, p.default_region, p.cors_origins, p.created_at AS project_created_at,
             (SELECT epoch FROM auth_epoch)::integer AS epoch
           FROM api_keys k JOIN projects p ON p.id = k.project_id WHERE k.key_hash = $1`,
          [hash],
        )
      ).rows[0];
      if (!record) return null;
      const project = toProject({ ...record, id: record.project_id, name: record.project_name, created_at: record.project_created_at });
      return { key: toKey(record), project, epoch: record.epoch };
    },
    async listForProject(projectId) {
      return (await query<KeyRecord>('SELECT * FROM api_keys WHERE project_id = $1 ORDER BY id', [projectId])).rows.map(toKey);
    },
    async revokeById({ projectId, id, now }) {
      // Locking the project's active secret keys (FOR UPDATE) makes two concurrent
      // revocations of its last two secret keys see each other: one of them is refused.
      return transaction(async (client) => {
        const secrets = await client.query<{ id: number }>(
          `SELECT id FROM api_keys WHERE project_id = $1 AND kind = 'secret' AND revoked_at IS NULL ORDER BY id FOR UPDATE`,
          [projectId],
        );
        const target = await client.query<{ kind: string }>(
          'SELECT kind FROM api_keys WHERE project_id = $1 AND id = $2 AND revoked_at IS NULL',
          [projectId, id],
        );
        const kind = target.rows[0]?.kind;
        if (kind === undefined) return 'not_found' as const;
        if (kind === 'secret' && secrets.rows.length <= 1) return 'last_secret' as const;
        await client.query('UPDATE api_keys SET revoked_at = $1 WHERE project_id = $2 AND id = $3', [now, projectId, id]);
        return 'revoked' as const;
      });
    },
    async revoke({ projectId, displayPrefix, now }) {
      const result = await query(
        'UPDATE api_keys SET revoked_at = $1 WHERE project_id = $2 AND display_prefix = $3 AND revoked_at IS NULL',
        [now, projectId, displayPrefix],
      );
      return result.rowCount ?? 0;
    },
  };

  const TRAIT_COLUMNS = 'key, display_name, type, format, first_seen, last_seen';

  const traits: TraitStore = {
    async record({ projectId, traits: rows }) {
      if (rows.length === 0) return;
      // Sorted by key, so concurrent batches from several processes lock rows in one order.
      const sorted = [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      await transaction(async (client) => {
        await client.query(
          `INSERT INTO traits (project_id, key, display_name, type, format, first_seen, last_seen)
           SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])
           ON CONFLICT (project_id, key) DO UPDATE SET
             first_seen = LEAST(traits.first_seen, excluded.first_seen),
             last_seen = GREATEST(traits.last_seen, excluded.last_seen)`,
          [
            projectId,
            sorted.map((t) => t.key),
            sorted.map((t) => t.displayName),
            sorted.map((t) => t.type),
            sorted.map((t) => t.format),
            sorted.map((t) => t.firstSeen),
            sorted.map((t) => t.lastSeen),
          ],
        );
      });
    },
    async list(projectId) {
      // COLLATE "C": the same byte order as SQLite's, whatever the database's locale.
      return (await query<TraitRow>(`SELECT ${TRAIT_COLUMNS} FROM traits WHERE project_id = $1 ORDER BY key COLLATE "C"`, [projectId])).rows.map(toTrait);
    },
    async get(projectId, key) {
      const row = (await query<TraitRow>(`SELECT ${TRAIT_COLUMNS} FROM traits WHERE project_id = $1 AND key = $2`, [projectId, key])).rows[0];
      return row ? toTrait(row) : null;
    },
    async usage(projectId) {
      // Exact counts: one pass over the project's profiles; any one value per key as a sample.
      const result = await query<{ key: string; customers: number; first_seen: number; last_seen: number; sample: string }>(
        `SELECT j.key, count(*)::integer AS customers, min(c.first_seen) AS first_seen, max(c.updated_at) AS last_seen,
           min(j.value::text) AS sample
         FROM customers c, jsonb_each(c.custom_attributes) j
         WHERE c.project_id = $1 GROUP BY j.key`,
        [projectId],
      );
      return result.rows.map(
        (row): TraitUsage => ({
          key: row.key,
          customers: row.customers,
          sample: JSON.parse(row.sample) as AttributeValue,
          firstSeen: row.first_seen,
          lastSeen: row.last_seen,
        }),
      );
    },
    async update({ projectId, key, changes, expectedType }) {
      const row = (
        await query<TraitRow>(
          `UPDATE traits SET display_name = coalesce($3, display_name), type = coalesce($4, type), format = coalesce($5, format)
           WHERE project_id = $1 AND key = $2 AND ($6::text IS NULL OR type = $6)
           RETURNING ${TRAIT_COLUMNS}`,
          [projectId, key, changes.displayName ?? null, changes.type ?? null, changes.format ?? null, expectedType ?? null],
        )
      ).rows[0];
      return row ? toTrait(row) : null;
    },
  };

  return {
    engine: 'postgres',
    // Batches of one project overlap: while one writes and waits for its commit to reach the
    // disk, the next takes its locks (see group-commit.ts). Rarely more than two are in flight;
    // the cap keeps one busy project from holding the whole pool.
    identifyConcurrency: Math.max(1, Math.min(options.identifyConcurrency ?? 4, options.poolSize - 1)),
    customers,
    projects,
    keys,
    traits,
    migrate,
    async exclusive(work) {
      // Its own connection, outside the pool: `work` may need every pooled connection.
      const client = new pg.Client({ connectionString: options.connectionString, connectionTimeoutMillis: options.timeoutMs });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('SELECT pg_advisory_lock($1)', [EXCLUSIVE_LOCK]);
      } catch (error) {
        await client.end().catch(() => {});
        throw translate(error);
      }
      try {
        return await work();
      } finally {
        // Ending the session releases the lock even if the unlock cannot be sent.
        await client.end().catch(() => {});
      }
    },
    poolStats() {
      return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
    },
    async durability(): Promise<Record<string, string>> {
      const result = await query<{ synchronous_commit: string; fsync: string; wal_level: string }>(
        "SELECT current_setting('synchronous_commit') AS synchronous_commit, current_setting('fsync') AS fsync, current_setting('wal_level') AS wal_level",
      );
      const row = result.rows[0];
      return row ? { synchronous_commit: row.synchronous_commit, fsync: row.fsync, wal_level: row.wal_level } : {};
    },
    async ping() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (!pool.ending) await pool.end();
    },
  };
}
