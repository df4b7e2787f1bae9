// The identify transaction on SQLite: resolve each item to a profile and write it, in order,
// inside one IMMEDIATE transaction. Used by the writer thread (sqlite-writer.ts) and, for
// in-memory databases, directly on the caller's connection.
import type Database from 'better-sqlite3';
import { absorbProfile, applyChanges, EMAIL_CANDIDATES, emailKey, needsEmailLookup, resolveIdentity, type ProfileRow } from '../../customers/merge.js';
import { toRow } from '../records.js';
import { AuthChangedError, type IdentifyBatch, type IdentifyOutcome } from '../store.js';

// Order matters: the writer reads raw rows by position (RawCustomer).
export const CUSTOMER_COLUMNS =
  'id, user_id, anonymous_id, email, first_name, last_name, phone, signed_up_at, ip, custom_attributes, first_seen, last_seen, sessions, updated_at';

/** A customers row as a raw statement returns it: the values of CUSTOMER_COLUMNS, in order. */
type RawCustomer = [
  id: number,
  userId: string | null,
  anonymousId: string | null,
  email: string | null,
  firstName: string | null,
  lastName: string | null,
  phone: string | null,
  signedUpAt: number | null,
  ip: string | null,
  customAttributes: string,
  firstSeen: number,
  lastSeen: number | null,
  sessions: number,
  updatedAt: number,
];

function fromRaw(raw: RawCustomer): ProfileRow {
  return toRow({
    id: raw[0],
    user_id: raw[1],
    anonymous_id: raw[2],
    email: raw[3],
    first_name: raw[4],
    last_name: raw[5],
    phone: raw[6],
    signed_up_at: raw[7],
    ip: raw[8],
    custom_attributes: raw[9],
    first_seen: raw[10],
    last_seen: raw[11],
    sessions: raw[12],
    updated_at: raw[13],
  });
}

/** Prepares the statements once; the returned function runs one batch as one transaction. */
export function createCustomerWriter(db: Database.Database): (batch: IdentifyBatch) => IdentifyOutcome {
  // Raw rows (arrays in CUSTOMER_COLUMNS order): no 14-key object per row read.
  const byUserId = db.prepare(`SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE project_id = ? AND user_id = ?`).raw(true);
  const byAnonymousId = db.prepare(`SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE project_id = ? AND anonymous_id = ?`).raw(true);
  // EMAIL_CANDIDATES rows, however many profiles share the email (items are applied one by
  // one, so each lookup sees every earlier item). INDEXED BY: without statistics the planner
  // would rather walk customers_last_seen than the email index (which holds this order too),
  // turning each lookup into a scan.
  const byEmail = db
    .prepare(
      `SELECT ${CUSTOMER_COLUMNS} FROM customers INDEXED BY customers_email WHERE project_id = ? AND email_lower = ?
       ORDER BY last_seen DESC NULLS LAST, id DESC LIMIT ${EMAIL_CANDIDATES}`,
    )
    .raw(true);
  // Positional parameters: no per-row parameter object to build and walk.
  const insert = db.prepare(
    `INSERT INTO customers (project_id, user_id, anonymous_id, email, email_lower, first_name, last_name, phone, signed_up_at, ip,
       custom_attributes, first_seen, last_seen, sessions, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const update = db.prepare(
    `UPDATE customers SET user_id = ?, anonymous_id = ?, email = ?, email_lower = ?, first_name = ?, last_name = ?, phone = ?,
       signed_up_at = ?, ip = ?, custom_attributes = ?, last_seen = ?, sessions = ?, updated_at = ?
     WHERE id = ?`,
  );
  const deleteById = db.prepare('DELETE FROM customers WHERE id = ?');
  // Inserts, or re-claims an id last seen before the cutoff; 0 changes = a duplicate.
  const claimMessage = db.prepare(
    `INSERT INTO processed_messages (project_id, message_id, received_at) VALUES (@projectId, @messageId, @now)
     ON CONFLICT (project_id, message_id) DO UPDATE SET received_at = excluded.received_at
     WHERE processed_messages.received_at <= @cutoff`,
  );
  const forgetMessages = db.prepare('DELETE FROM processed_messages WHERE project_id = ? AND received_at <= ?');
  const authEpoch = db.prepare('SELECT epoch FROM auth_epoch').pluck();

  const run = db.transaction((batch: IdentifyBatch): IdentifyOutcome => {
    // Inside the write transaction: a key revoked before this commit can no longer write.
    if (batch.authEpoch !== undefined && authEpoch.get() !== batch.authEpoch) throw new AuthChangedError();
    const ctx = { now: batch.now, sessionTimeout: batch.sessionTimeout };
    const projectId = batch.projectId;
    const cutoff = batch.now - (batch.dedupeSeconds ?? 0);
    if (batch.messageIds) forgetMessages.run(projectId, cutoff);
    let duplicates = 0;
    for (let index = 0; index < batch.items.length; index += 1) {
      const item = batch.items[index] as IdentifyBatch['items'][number];
      const messageId = batch.messageIds?.[index];
      if (messageId !== undefined && claimMessage.run({ projectId, messageId, now: batch.now, cutoff }).changes === 0) {
        duplicates += 1;
        continue;
      }
      const byUserIdRecord = item.userId !== undefined ? (byUserId.get(projectId, item.userId) as RawCustomer | undefined) : undefined;
      const byAnonymousRecord =
        item.anonymousId !== undefined ? (byAnonymousId.get(projectId, item.anonymousId) as RawCustomer | undefined) : undefined;
      const byEmailRecords = needsEmailLookup(item, byUserIdRecord !== undefined)
        ? (byEmail.all(projectId, emailKey(item.email as string)) as RawCustomer[])
        : [];
      const { target, absorb, changes } = resolveIdentity(item, {
        byUserId: byUserIdRecord ? fromRaw(byUserIdRecord) : undefined,
        byEmail: byEmailRecords.length === 0 ? [] : byEmailRecords.map(fromRaw),
        byAnonymousId: byAnonymousRecord ? fromRaw(byAnonymousRecord) : undefined,
      });
      if (absorb) deleteById.run(absorb.id);
      const base = target && absorb ? absorbProfile(target, absorb) : target;
      const next = applyChanges(base, changes, ctx);
      const emailLower = next.email === null ? null : emailKey(next.email);
      const attributes = JSON.stringify(next.attributes);
      if (target) {
        update.run(
          next.userId, next.anonymousId, next.email, emailLower, next.firstName, next.lastName, next.phone,
          next.signedUpAt, next.ip, attributes, next.lastSeen, next.sessions, next.updatedAt, next.id,
        );
      } else {
        insert.run(
          projectId, next.userId, next.anonymousId, next.email, emailLower, next.firstName, next.lastName, next.phone,
          next.signedUpAt, next.ip, attributes, next.firstSeen, next.lastSeen, next.sessions, next.updatedAt,
        );
      }
    }
    return { duplicates };
  });
  return (batch) => run.immediate(batch);
}

/** The connection settings every Beacon SQLite connection uses. */
export function configureConnection(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  // FULL: every commit is fsynced before the 200, so it survives a crash and a power cut.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
}
