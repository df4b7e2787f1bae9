// Versioned SQLite schema. Append new migrations; never edit an applied one.
export const SQLITE_MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'projects, keys, customers',
    sql: `
      CREATE TABLE projects (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        session_timeout INTEGER,
        default_region TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE api_keys (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('public', 'secret')),
        key_hash TEXT NOT NULL UNIQUE,
        display_prefix TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
      CREATE INDEX api_keys_project ON api_keys (project_id);
      CREATE TABLE customers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        user_id TEXT,
        email TEXT,
        email_lower TEXT,
        first_name TEXT,
        last_name TEXT,
        phone TEXT,
        signed_up_at INTEGER,
        ip TEXT,
        custom_attributes TEXT NOT NULL DEFAULT '{}',
        first_seen INTEGER NOT NULL,
        last_seen INTEGER,
        sessions INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX customers_user_id ON customers (project_id, user_id) WHERE user_id IS NOT NULL;
      CREATE INDEX customers_email ON customers (project_id, email_lower) WHERE email_lower IS NOT NULL;
      CREATE INDEX customers_project_order ON customers (project_id, id);
    `,
  },
  {
    version: 2,
    name: 'traits catalog, customers by last seen',
    sql: `
      CREATE TABLE traits (
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        display_name TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('string', 'number', 'boolean', 'date')),
        format TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        PRIMARY KEY (project_id, key)
      ) WITHOUT ROWID;
      -- SQLite sorts NULL lowest, so DESC puts never-seen profiles last, as the list wants.
      CREATE INDEX customers_last_seen ON customers (project_id, last_seen DESC, id DESC);
    `,
  },
  {
    version: 3,
    name: 'anonymous ids, processed message ids, per-project CORS origins',
    sql: `
      ALTER TABLE customers ADD COLUMN anonymous_id TEXT;
      CREATE UNIQUE INDEX customers_anonymous_id ON customers (project_id, anonymous_id) WHERE anonymous_id IS NOT NULL;
      ALTER TABLE projects ADD COLUMN cors_origins TEXT;
      CREATE TABLE processed_messages (
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        message_id TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (project_id, message_id)
      ) WITHOUT ROWID;
      CREATE INDEX processed_messages_age ON processed_messages (project_id, received_at);
    `,
  },
  {
    version: 4,
    name: 'auth epoch: moves on every key or project change',
    sql: `
      CREATE TABLE auth_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), epoch INTEGER NOT NULL);
      INSERT INTO auth_epoch (id, epoch) VALUES (1, 0);
      CREATE TRIGGER api_keys_update_epoch AFTER UPDATE ON api_keys BEGIN UPDATE auth_epoch SET epoch = epoch + 1; END;
      CREATE TRIGGER api_keys_delete_epoch AFTER DELETE ON api_keys BEGIN UPDATE auth_epoch SET epoch = epoch + 1; END;
      CREATE TRIGGER projects_update_epoch AFTER UPDATE ON projects BEGIN UPDATE auth_epoch SET epoch = epoch + 1; END;
      CREATE TRIGGER projects_delete_epoch AFTER DELETE ON projects BEGIN UPDATE auth_epoch SET epoch = epoch + 1; END;
    `,
  },
  {
    version: 5,
    name: 'profiles by email, most recently seen first',
    sql: `
      -- An identify call reads the two most recently seen profiles with its email: in index order,
      -- without sorting every profile that shares the address.
      DROP INDEX customers_email;
      CREATE INDEX customers_email ON customers (project_id, email_lower, last_seen DESC, id DESC) WHERE email_lower IS NOT NULL;
    `,
  },
];
