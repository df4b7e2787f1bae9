// Row shapes both SQL stores read back, and their mapping to the store interface's types.
// Column names are the same in the SQLite and PostgreSQL schemas.
import type { ProfileRow } from '../customers/merge.js';
import type { AttributeValue } from '../customers/schemas.js';
import type { TraitFormat, TraitType } from '../traits/infer.js';
import type { ApiKeyRecord, KeyKind, TraitRecord } from './store.js';

export interface CustomerRecord {
  id: number;
  user_id: string | null;
  anonymous_id: string | null;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  signed_up_at: number | null;
  ip: string | null;
  /** JSON text (PostgreSQL selects `custom_attributes::text`). */
  custom_attributes: string;
  first_seen: number;
  last_seen: number | null;
  sessions: number;
  updated_at: number;
}

export interface KeyRecord {
  id: number;
  project_id: number;
  kind: KeyKind;
  key_hash: string;
  display_prefix: string;
  created_at: number;
  revoked_at: number | null;
}

function parseAttributes(json: string): Record<string, AttributeValue> {
  // A null-prototype copy keeps any stored "__proto__" key (never accepted, but be safe) an own property.
  return Object.assign(Object.create(null), JSON.parse(json)) as Record<string, AttributeValue>;
}

export function toRow(record: CustomerRecord): ProfileRow {
  return {
    id: record.id,
    userId: record.user_id,
    anonymousId: record.anonymous_id,
    email: record.email,
    firstName: record.first_name,
    lastName: record.last_name,
    phone: record.phone,
    signedUpAt: record.signed_up_at,
    ip: record.ip,
    attributes: parseAttributes(record.custom_attributes),
    firstSeen: record.first_seen,
    lastSeen: record.last_seen,
    sessions: record.sessions,
    updatedAt: record.updated_at,
  };
}

/** A key row joined with its project's columns (see KEY_WITH_PROJECT in each store). */
export interface KeyProjectColumns {
  project_name: string;
  session_timeout: number | null;
  default_region: string | null;
  project_created_at: number;
  /** The auth epoch read in the same statement. */
  epoch: number;
}

export function toKey(record: KeyRecord): ApiKeyRecord {
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

export interface TraitRow {
  key: string;
  display_name: string;
  type: TraitType;
  format: TraitFormat;
  first_seen: number;
  last_seen: number;
}

export function toTrait(row: TraitRow): TraitRecord {
  return {
    key: row.key,
    displayName: row.display_name,
    type: row.type,
    format: row.format,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
  };
}
