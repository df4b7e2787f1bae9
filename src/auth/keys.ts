// API keys: random, prefixed, shown once, stored only as SHA-256 plus a short display prefix.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BeaconError } from '../errors.js';
import type { ApiKeyRecord, KeyKind, Project, Store } from '../store/store.js';

const PREFIX: Record<KeyKind, string> = { public: 'pk_', secret: 'sk_' };

/** 24 random bytes = 192 bits, base64url. */
export function generateKey(kind: KeyKind): string {
  return PREFIX[kind] + randomBytes(24).toString('base64url');
}

export function hashKey(key: string): string {
  // One-shot hash: no Hash object per call (this runs on every request).
  return hash('sha256', key, 'hex');
}

/** Enough to recognise a key in a listing, never enough to use it (at most half of it). */
export function displayPrefixOf(key: string): string {
  return key.slice(0, Math.min(11, Math.floor(key.length / 2)));
}

export interface Principal {
  project: Project;
  key: ApiKeyRecord;
  /** The auth epoch read with the key; a write made for this caller passes it on (IdentifyBatch.authEpoch). */
  epoch: number;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: 'unknown' | 'revoked' };

/** Looks a presented key up by its hash and compares the hashes in constant time. */
export function authenticate(store: Store, presented: string): Promise<AuthResult> {
  return authenticateHash(store, hashKey(presented));
}

/** `authenticate` for a key already hashed with hashKey. */
export async function authenticateHash(store: Store, presentedHash: string): Promise<AuthResult> {
  const found = await store.keys.findWithProject(presentedHash);
  if (!found || !timingSafeEqual(Buffer.from(found.key.hash, 'hex'), Buffer.from(presentedHash, 'hex'))) return { ok: false, reason: 'unknown' };
  if (found.key.revokedAt !== null) return { ok: false, reason: 'revoked' };
  return { ok: true, principal: found };
}

/** Creates a key for a project; the returned `key` is the only time it exists in clear. */
export async function createKey(
  store: Store,
  input: { projectId: number; kind: KeyKind; now: number; key?: string },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const key = input.key ?? generateKey(input.kind);
  const record = await store.keys.insert({
    projectId: input.projectId,
    kind: input.kind,
    hash: hashKey(key),
    displayPrefix: displayPrefixOf(key),
    now: input.now,
  });
  return { key, record };
}

// ---- Key management (the CLI and any other admin surface call these) ----

/** What an operator may see of a key: never the key, never its hash. */
export interface KeyInfo {
  id: number;
  project: string;
  projectId: number;
  kind: KeyKind;
  displayPrefix: string;
  createdAt: number;
  revokedAt: number | null;
}

function infoOf(record: ApiKeyRecord, project: Project): KeyInfo {
  return {
    id: record.id,
    project: project.name,
    projectId: project.id,
    kind: record.kind,
    displayPrefix: record.displayPrefix,
    createdAt: record.createdAt,
    revokedAt: record.revokedAt,
  };
}

/** Every key of one project, or of all projects when `project` is omitted; oldest first. */
export async function listKeys(store: Store, input: { project?: Project } = {}): Promise<KeyInfo[]> {
  const projects = input.project ? [input.project] : await store.projects.list();
  const listed: KeyInfo[] = [];
  for (const project of projects) {
    for (const record of await store.keys.listForProject(project.id)) listed.push(infoOf(record, project));
  }
  return listed;
}

/** The shortest prefix accepted when naming a key: shorter ones match too much by accident. */
const MIN_PREFIX = 4;

/**
 * The one active key an operator means by `reference`: the whole key, its display prefix, or
 * the start of its display prefix (at least 4 characters). Throws `not_found` when nothing
 * active matches and `invalid_request` when several keys do.
 */
export async function findActiveKey(store: Store, input: { reference: string; project?: Project }): Promise<KeyInfo> {
  const reference = input.reference.trim();
  const exact = await store.keys.findByHash(hashKey(reference));
  if (exact && exact.revokedAt === null && (!input.project || exact.projectId === input.project.id)) {
    const project = input.project ?? (await store.projects.findById(exact.projectId));
    if (project) return infoOf(exact, project);
  }
  if (reference.length < MIN_PREFIX) {
    throw new BeaconError('invalid_request', `Name a key by at least ${MIN_PREFIX} characters of its prefix.`);
  }
  const candidates = (await listKeys(store, { project: input.project })).filter(
    (key) => key.revokedAt === null && (key.displayPrefix.startsWith(reference) || reference.startsWith(key.displayPrefix)),
  );
  const [only, second] = candidates;
  if (!only) throw new BeaconError('not_found', `No active key starts with "${reference}".`);
  if (second) {
    const names = candidates.map((key) => `${key.displayPrefix}… (${key.kind}, project ${key.project})`).join(', ');
    throw new BeaconError(
      'invalid_request',
      `"${reference}" matches ${candidates.length} active keys: ${names}. Pass --project or the whole key.`,
    );
  }
  return only;
}

/**
 * Revokes one key; the next request that presents it is refused (keys are checked on every
 * request). A project's last active secret key is never revoked: rotate it first.
 */
export async function revokeKey(store: Store, input: { reference: string; project?: Project; now: number }): Promise<KeyInfo> {
  const key = await findActiveKey(store, input);
  const result = await store.keys.revokeById({ projectId: key.projectId, id: key.id, now: input.now });
  if (result === 'not_found') throw new BeaconError('not_found', `No active key starts with "${input.reference.trim()}".`);
  if (result === 'last_secret') {
    throw new BeaconError(
      'invalid_request',
      `${key.displayPrefix}… is the last active secret key of project "${key.project}"; rotate it (beacon keys rotate ${key.displayPrefix}) before revoking it.`,
    );
  }
  return { ...key, revokedAt: input.now };
}

/**
 * Rotation: a new key of the same kind for the same project. The old key keeps working until it
 * is revoked, so clients can switch over without downtime.
 */
export async function rotateKey(
  store: Store,
  input: { reference: string; project?: Project; now: number },
): Promise<{ key: string; created: KeyInfo; replaces: KeyInfo }> {
  const old = await findActiveKey(store, input);
  const { key, record } = await createKey(store, { projectId: old.projectId, kind: old.kind, now: input.now });
  return { key, created: { ...old, id: record.id, displayPrefix: record.displayPrefix, createdAt: record.createdAt, revokedAt: null }, replaces: old };
}
