// The console's only way to the server: the public HTTP API, with the secret key from sessionStorage.
const STORAGE_KEY = 'beacon.secretKey';

export type AttributeValue = string | number | boolean;

export interface Profile {
  id: number;
  user_id: string | null;
  email: string | null;
  name: string | null;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  signed_up_at: number | null;
  ip: string | null;
  custom_attributes: Record<string, AttributeValue>;
  first_seen: number;
  last_seen: number | null;
  sessions: number;
  updated_at: number;
}

export type TraitType = 'string' | 'number' | 'boolean' | 'date';
export type TraitFormat =
  | 'text' | 'email' | 'url' | 'numeric' | 'currency' | 'yes_no' | 'true_false' | 'on_off' | 'date' | 'datetime' | 'relative';

export interface Trait {
  key: string;
  display_name: string;
  type: TraitType;
  format: TraitFormat;
  customers: number;
  first_seen: number;
  last_seen: number;
}

export interface ApiKey {
  id: number;
  kind: 'public' | 'secret';
  display_prefix: string;
  created_at: number;
  revoked_at: number | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(STORAGE_KEY);
  else sessionStorage.setItem(STORAGE_KEY, key);
}

let onUnauthorized: () => void = () => {};
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

async function call<T>(method: string, path: string, options: { body?: unknown; key?: string } = {}): Promise<T> {
  const key = options.key ?? storedKey();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  } catch {
    throw new ApiError(0, 'The server cannot be reached. Check that Beacon is running.');
  }
  const envelope = (await response.json().catch(() => null)) as
    | { success: boolean; data: T; message?: string; errors?: { field: string; message: string }[] }
    | null;
  if (!envelope) throw new ApiError(response.status, `The server answered ${response.status} without a JSON body.`);
  if (!envelope.success) {
    if (response.status === 401 && options.key === undefined) onUnauthorized();
    throw new ApiError(response.status, envelope.message ?? 'The request failed.', envelope.errors ?? []);
  }
  return envelope.data;
}

export const api = {
  /** Checks a key: only a secret key may list keys. */
  verify: (key: string) => call<{ keys: ApiKey[] }>('GET', '/keys', { key }),
  customers: (query: { q?: string; limit?: number; cursor?: string; sort?: string }) => {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value));
    return call<{ customers: Profile[]; next_cursor: string | null }>('GET', `/customers?${params}`);
  },
  customer: (userId: string) => call<Profile>('GET', `/customers/${encodeURIComponent(userId)}`),
  deleteCustomer: (userId: string) => call<null>('DELETE', `/customers/${encodeURIComponent(userId)}`),
  traits: () => call<{ traits: Trait[] }>('GET', '/traits'),
  updateTrait: (key: string, changes: Partial<Pick<Trait, 'display_name' | 'type' | 'format'>>) =>
    call<Trait>('PATCH', `/traits/${encodeURIComponent(key)}`, { body: changes }),
  keys: () => call<{ keys: ApiKey[] }>('GET', '/keys'),
  createKey: (kind: 'public' | 'secret') => call<ApiKey & { key: string }>('POST', '/keys', { body: { kind } }),
  revokeKey: (id: number) => call<null>('DELETE', `/keys/${id}`),
};
