// Embedded store: one SQLite file in WAL mode, synchronous=FULL so a 200 survives a crash.
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
  Store,
} from '../store.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { configureConnection, createCustomerWriter, CUSTOMER_COLUMNS, toRow, type CustomerRecord } from './sqlite-customer-writer.js';
import { createWriterClient } from './sqlite-writer-client.js';

interface ProjectRecord {
  id: number;
  name: string;
  session_timeout: number | null;
  default_region: string | null;
  cors_origins: string | null;
  created_at: number;
}

interface KeyRecord {
  id: number;
  project_id: number;
  kind: 'public' | 'secret';
  key_hash: string;
  display_prefix: string;
  created_at: number;
  revoked_at: number | null;
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

function toKey(record: KeyRecord): ApiKeyRecord {
  return {
    id: record.id,
    projectId: record.project_id,
    kind: record.kind,
    hash: record.key_hash,
    displayPrefix: record.display_prefix,
    createdAt: record.created_at,
    revokedAt: record.revoked_at,
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

export interface SqliteStoreOptions {
  /** Run identify transactions on a writer thread (default; not possible for `:memory:`). */
  writerThread?: boolean;
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
    keyByHash: db.prepare('SELECT * FROM api_keys WHERE key_hash = ?'),
    projectById: db.prepare('SELECT * FROM projects WHERE id = ?'),
  };

  // Every identify goes through one writer, in the order the calls were made.
  const writer =
    options.writerThread === false || memory
      ? (() => {
          const identify = createCustomerWriter(db);
          return { identify: async (batch: IdentifyBatch) => identify(batch), close: async () => {} };
        })()
      : createWriterClient(path);

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
      if (options.beforeId !== undefined) where.push('id < @beforeId');
      if (options.email !== undefined) where.push('email_lower = @email');
      if (options.anonymousId !== undefined) where.push('anonymous_id = @anonymousId');
      if (options.q !== undefined && options.q !== '') {
        where.push(
          `(lower(coalesce(user_id, '')) LIKE @q ESCAPE '\\' OR coalesce(email_lower, '') LIKE @q ESCAPE '\\'
            OR lower(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))) LIKE @q ESCAPE '\\')`,
        );
      }
      const records = db
        .prepare(`SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT @limit`)
        .all({
          projectId,
          beforeId: options.beforeId,
          email: options.email === undefined ? undefined : emailKey(options.email.trim()),
          anonymousId: options.anonymousId,
          q: options.q ? likePattern(options.q) : undefined,
          limit: options.limit,
        }) as CustomerRecord[];
      return records.map(toRow);
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
    async listForProject(projectId) {
      return (db.prepare('SELECT * FROM api_keys WHERE project_id = ? ORDER BY id').all(projectId) as KeyRecord[]).map(toKey);
    },
    async revoke({ projectId, displayPrefix, now }) {
      return db
        .prepare('UPDATE api_keys SET revoked_at = ? WHERE project_id = ? AND display_prefix = ? AND revoked_at IS NULL')
        .run(now, projectId, displayPrefix).changes;
    },
  };

  return {
    engine: 'sqlite',
    customers,
    projects,
    keys,
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
    async close() {
      await writer.close();
      if (db.open) db.close();
    },
  };
}
