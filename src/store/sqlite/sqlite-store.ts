// Embedded store: one SQLite file in WAL mode; every commit is synced to disk before its 200
// (synchronous=FULL, or on the writer thread an explicit WAL sync, see sqlite-writer.ts).
// Identify transactions run on a writer thread (sqlite-writer.ts) so that waiting for their
// fsync never stalls the event loop; reads and the rare other writes use this thread's connection.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { emailKey } from '../../customers/merge.js';
import type {
  ApiKeyRecord,
  CustomerStore,
  IdentifyBatch,
  KeyStore,
  ListOptions,
  MigrationReport,
  Project,
  ProjectStore,
  ScanOptions,
  Store,
  TraitRecord,
  TraitStore,
  TraitUsage,
} from '../store.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { toKey, toRow, toTrait, type CustomerRecord, type KeyProjectColumns, type KeyRecord, type TraitRow } from '../records.js';
import { configureConnection, createCustomerWriter, CUSTOMER_COLUMNS } from './sqlite-customer-writer.js';
import { createWriterClient } from './sqlite-writer-client.js';

interface ProjectRecord {
  id: number;
  name: string;
  session_timeout: number | null;
  default_region: string | null;
  cors_origins: string | null;
  created_at: number;
}

interface UsageRow {
  key: string;
  customers: number;
  first_seen: number;
  last_seen: number;
  json_type: string;
  value: string | number;
}

function toUsage(row: UsageRow): TraitUsage {
  const sample = row.json_type === 'true' ? true : row.json_type === 'false' ? false : row.value;
  return { key: row.key, customers: row.customers, sample, firstSeen: row.first_seen, lastSeen: row.last_seen };
}

function toProject(record: ProjectRecord): Project {
  return {
    id: record.id,
    name: record.name,
    sessionTimeout: record.session_timeout,
    defaultRegion: record.default_region,
    corsOrigins: record.cors_origins === null ? null : (JSON.parse(record.cors_origins) as string[]),
    createdAt: record.created_at,
  };
}

/** `%`, `_` and `\` match themselves in a LIKE pattern. */
function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function sqlitePathFromUrl(url: string): string {
  if (url.startsWith('sqlite://')) return url.slice('sqlite://'.length);
  if (url.startsWith('sqlite:')) return url.slice('sqlite:'.length);
  if (url.startsWith('file:')) return url.slice('file:'.length);
  return url;
}

/** Identify batches one project may have queued at the writer thread at once. */
const SQLITE_GROUPS_IN_FLIGHT = 4;

export interface SqliteStoreOptions {
  /** Run identify transactions on a writer thread (default; not possible for `:memory:`). */
  writerThread?: boolean;
  /** Tests only: the writer thread waits this long before each WAL sync (proves replies wait for it). */
  walSyncDelayMs?: number;
}

export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  const memory = path === ':memory:';
  if (!memory) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  configureConnection(db);

  function migrate(): MigrationReport {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const applied = new Set(
      (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
    );
    const report: MigrationReport = { applied: [], version: Math.max(0, ...applied) };
    for (const migration of SQLITE_MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      db.transaction(() => {
        db.exec(migration.sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          migration.version,
          migration.name,
          Math.floor(Date.now() / 1000),
        );
      }).immediate();
      report.applied.push(migration.version);
      report.version = Math.max(report.version, migration.version);
    }
    return report;
  }
  migrate();

  const q = {
    byUserId: db.prepare(`SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE project_id = ? AND user_id = ?`),
    delete: db.prepare('DELETE FROM customers WHERE project_id = ? AND user_id = ?'),
    scan: db.prepare(`SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE project_id = ? AND id > ? ORDER BY id LIMIT ?`),
    keyByHash: db.prepare('SELECT * FROM api_keys WHERE key_hash = ?'),
    keyWithProject: db.prepare(
      `SELECT k.*, p.name AS project_name, p.session_timeout, p.default_region, p.cors_origins, p.created_at AS project_created_at,
         (SELECT epoch FROM auth_epoch) AS epoch
       FROM api_keys k JOIN projects p ON p.id = k.project_id WHERE k.key_hash = ?`,
    ),
    projectById: db.prepare('SELECT * FROM projects WHERE id = ?'),
  };

  // Every identify goes through one writer, in the order the calls were made.
  const threaded = !(options.writerThread === false || memory);
  const writer =
    !threaded
      ? (() => {
          const identify = createCustomerWriter(db);
          return { identify: async (batch: IdentifyBatch) => identify(batch), close: async () => {} };
        })()
      : createWriterClient(path, { walSyncDelayMs: options.walSyncDelayMs });

  const customers: CustomerStore = {
    identify(batch) {
      return writer.identify(batch);
    },
    async getByUserId(projectId, userId) {
      const record = q.byUserId.get(projectId, userId) as CustomerRecord | undefined;
      return record ? toRow(record) : null;
    },
    async list(projectId, options: ListOptions) {
      const where = ['project_id = @projectId'];
      const bySeen = options.sort === 'last_seen';
      if (!bySeen && options.beforeId !== undefined) where.push('id < @beforeId');
      if (bySeen && options.afterSeen) {
        where.push(
          options.afterSeen.lastSeen === null
            ? 'last_seen IS NULL AND id < @seenId'
            : '(last_seen < @seenAt OR (last_seen = @seenAt AND id < @seenId) OR last_seen IS NULL)',
        );
      }
      if (options.email !== undefined) where.push('email_lower = @email');
      if (options.anonymousId !== undefined) where.push('anonymous_id = @anonymousId');
      if (options.q !== undefined && options.q !== '') {
        where.push(
          `(lower(coalesce(user_id, '')) LIKE @q ESCAPE '\\' OR coalesce(email_lower, '') LIKE @q ESCAPE '\\'
            OR lower(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))) LIKE @q ESCAPE '\\')`,
        );
      }
      const records = db
        .prepare(
          `SELECT ${CUSTOMER_COLUMNS} FROM customers ${options.email !== undefined ? 'INDEXED BY customers_email' : ''}
           WHERE ${where.join(' AND ')}
           ORDER BY ${bySeen ? 'last_seen DESC, id DESC' : 'id DESC'} LIMIT @limit`,
        )
        .all({
          projectId,
          beforeId: options.beforeId,
          seenAt: options.afterSeen?.lastSeen ?? undefined,
          seenId: options.afterSeen?.id,
          email: options.email === undefined ? undefined : emailKey(options.email.trim()),
          anonymousId: options.anonymousId,
          q: options.q ? likePattern(options.q) : undefined,
          limit: options.limit,
        }) as CustomerRecord[];
      return records.map(toRow);
    },
    async scan(projectId, options: ScanOptions) {
      return (q.scan.all(projectId, options.afterId ?? 0, options.limit) as CustomerRecord[]).map(toRow);
    },
    async deleteByUserId(projectId, userId) {
      return q.delete.run(projectId, userId).changes > 0;
    },
  };

  const projects: ProjectStore = {
    async create({ name, now }) {
      const info = db.prepare('INSERT INTO projects (name, created_at) VALUES (?, ?)').run(name, now);
      return { id: Number(info.lastInsertRowid), name, sessionTimeout: null, defaultRegion: null, corsOrigins: null, createdAt: now };
    },
    async findByName(name) {
      const record = db.prepare('SELECT * FROM projects WHERE name = ?').get(name) as ProjectRecord | undefined;
      return record ? toProject(record) : null;
    },
    async findById(id) {
      const record = q.projectById.get(id) as ProjectRecord | undefined;
      return record ? toProject(record) : null;
    },
    async list() {
      return (db.prepare('SELECT * FROM projects ORDER BY id').all() as ProjectRecord[]).map(toProject);
    },
    async update(id, settings) {
      if (settings.sessionTimeout !== undefined) {
        db.prepare('UPDATE projects SET session_timeout = ? WHERE id = ?').run(settings.sessionTimeout, id);
      }
      if (settings.defaultRegion !== undefined) {
        db.prepare('UPDATE projects SET default_region = ? WHERE id = ?').run(settings.defaultRegion, id);
      }
      if (settings.corsOrigins !== undefined) {
        const origins = settings.corsOrigins === null ? null : JSON.stringify(settings.corsOrigins);
        db.prepare('UPDATE projects SET cors_origins = ? WHERE id = ?').run(origins, id);
      }
      return projects.findById(id);
    },
  };

  const keys: KeyStore = {
    async insert({ projectId, kind, hash, displayPrefix, now }) {
      const info = db
        .prepare('INSERT INTO api_keys (project_id, kind, key_hash, display_prefix, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(projectId, kind, hash, displayPrefix, now);
      return { id: Number(info.lastInsertRowid), projectId, kind, hash, displayPrefix, createdAt: now, revokedAt: null };
    },
    async findByHash(hash) {
      const record = q.keyByHash.get(hash) as KeyRecord | undefined;
      return record ? toKey(record) : null;
    },
    async findWithProject(hash) {
      const record = q.keyWithProject.get(hash) as (KeyRecord & KeyProjectColumns & { cors_origins: string | null }) | undefined;
      if (!record) return null;
      const project = toProject({ ...record, id: record.project_id, name: record.project_name, created_at: record.project_created_at });
      return { key: toKey(record), project, epoch: record.epoch };
    },
    async listForProject(projectId) {
      return (db.prepare('SELECT * FROM api_keys WHERE project_id = ? ORDER BY id').all(projectId) as KeyRecord[]).map(toKey);
    },
    async revokeById({ projectId, id, now }) {
      const changed = db
        .prepare(
          `UPDATE api_keys SET revoked_at = @now
           WHERE project_id = @projectId AND id = @id AND revoked_at IS NULL
             AND (kind <> 'secret' OR (SELECT count(*) FROM api_keys
                   WHERE project_id = @projectId AND kind = 'secret' AND revoked_at IS NULL) > 1)`,
        )
        .run({ projectId, id, now }).changes;
      if (changed > 0) return 'revoked';
      const record = db.prepare('SELECT kind, revoked_at FROM api_keys WHERE project_id = ? AND id = ?').get(projectId, id) as
        | Pick<KeyRecord, 'kind' | 'revoked_at'>
        | undefined;
      return record && record.revoked_at === null && record.kind === 'secret' ? 'last_secret' : 'not_found';
    },
    async revoke({ projectId, displayPrefix, now }) {
      return db
        .prepare('UPDATE api_keys SET revoked_at = ? WHERE project_id = ? AND display_prefix = ? AND revoked_at IS NULL')
        .run(now, projectId, displayPrefix).changes;
    },
  };

  const traitSql = {
    record: db.prepare(
      `INSERT INTO traits (project_id, key, display_name, type, format, first_seen, last_seen)
       VALUES (@projectId, @key, @displayName, @type, @format, @firstSeen, @lastSeen)
       ON CONFLICT (project_id, key) DO UPDATE SET
         first_seen = min(first_seen, excluded.first_seen),
         last_seen = max(last_seen, excluded.last_seen)`,
    ),
    list: db.prepare('SELECT key, display_name, type, format, first_seen, last_seen FROM traits WHERE project_id = ? ORDER BY key'),
    get: db.prepare('SELECT key, display_name, type, format, first_seen, last_seen FROM traits WHERE project_id = ? AND key = ?'),
    // Exact counts: one pass over the project's profiles. SQLite takes the bare columns
    // (json_type, value) from one row of each group, which is all a type proposal needs.
    usage: db.prepare(
      `SELECT j.key AS key, count(*) AS customers, min(c.first_seen) AS first_seen, max(c.updated_at) AS last_seen,
         j.type AS json_type, j.value AS value
       FROM customers c, json_each(c.custom_attributes) j
       WHERE c.project_id = ? GROUP BY j.key`,
    ),
    update: db.prepare(
      `UPDATE traits SET display_name = coalesce(@displayName, display_name), type = coalesce(@type, type),
         format = coalesce(@format, format)
       WHERE project_id = @projectId AND key = @key AND (@expectedType IS NULL OR type = @expectedType)`,
    ),
  };
  const recordTraits = db.transaction((projectId: number, rows: readonly TraitRecord[]) => {
    for (const row of rows) traitSql.record.run({ projectId, ...row });
  });

  const traits: TraitStore = {
    async record({ projectId, traits: rows }) {
      if (rows.length > 0) recordTraits.immediate(projectId, rows);
    },
    async list(projectId) {
      return (traitSql.list.all(projectId) as TraitRow[]).map(toTrait);
    },
    async get(projectId, key) {
      const row = traitSql.get.get(projectId, key) as TraitRow | undefined;
      return row ? toTrait(row) : null;
    },
    async usage(projectId) {
      return (traitSql.usage.all(projectId) as UsageRow[]).map(toUsage);
    },
    async update({ projectId, key, changes, expectedType }) {
      const info = traitSql.update.run({
        projectId,
        key,
        expectedType: expectedType ?? null,
        displayName: changes.displayName ?? null,
        type: changes.type ?? null,
        format: changes.format ?? null,
      });
      if (info.changes === 0) return null;
      const row = traitSql.get.get(projectId, key) as TraitRow | undefined;
      return row ? toTrait(row) : null;
    },
  };

  return {
    engine: 'sqlite',
    // The writer thread applies batches in the order they are posted and syncs the WAL for
    // several at once (sqlite-writer.ts): group commit may have a few in flight.
    identifyConcurrency: threaded ? SQLITE_GROUPS_IN_FLIGHT : 1,
    customers,
    projects,
    keys,
    traits,
    async migrate() {
      return migrate();
    },
    // One process owns an SQLite file; nothing to coordinate.
    exclusive: (work) => work(),
    async ping() {
      try {
        db.prepare('SELECT 1').get();
        return true;
      } catch {
        return false;
      }
    },
    poolStats() {
      return { total: db.open ? 1 : 0, idle: db.open && !db.inTransaction ? 1 : 0, waiting: 0 };
    },
    async durability(): Promise<Record<string, string>> {
      const journalMode = String(db.pragma('journal_mode', { simple: true }));
      const synchronous = ['off', 'normal', 'full', 'extra'][Number(db.pragma('synchronous', { simple: true }))] ?? 'unknown';
      // The writer thread commits with NORMAL and syncs the WAL itself before answering (sqlite-writer.ts).
      if (threaded) return { journal_mode: journalMode, synchronous, identify_commits: 'wal-fdatasync-before-reply' };
      return { journal_mode: journalMode, synchronous };
    },
    async close() {
      await writer.close();
      if (db.open) db.close();
    },
  };
}
