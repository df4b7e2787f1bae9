// Pure mapping of one Segment message to a Beacon identify call. No I/O; validation of the
// resulting call is the customer rules' job (src/customers/normalise.ts).

/** A Beacon identify body built from a Segment message, before validation. */
export interface MappedCustomer {
  user_id?: string;
  email?: unknown;
  name?: unknown;
  first_name?: unknown;
  last_name?: unknown;
  phone?: unknown;
  signed_up_at?: number;
  ip?: unknown;
  custom_attributes: Record<string, unknown>;
}

export type SegmentMapping =
  | {
      kind: 'identify';
      customer: MappedCustomer;
      anonymousId?: string;
      messageId?: string;
      /** Trait paths that cannot become a Beacon field (arrays, unparseable dates), with why. */
      dropped: string[];
    }
  | { kind: 'ignored'; reason: string };

/** Traits with a Beacon field of their own; everything else becomes a custom attribute. */
const STANDARD_TRAITS = new Set(['email', 'name', 'firstName', 'first_name', 'lastName', 'last_name', 'phone', 'createdAt']);
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Nesting deeper than this is dropped rather than flattened into ever-longer keys. */
const MAX_DEPTH = 5;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Segment ids may be strings or numbers; empty means absent. */
function idOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** `createdAt` as ISO 8601 (Segment's convention) or UNIX seconds → UNIX seconds. */
export function toUnixSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.floor(value) : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.floor(Number(value));
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** `{address: {city: 'Paris'}}` → `{address_city: 'Paris'}`; scalars and null kept, arrays dropped. */
export function flattenTraits(
  traits: Record<string, unknown>,
  options: { skip?: ReadonlySet<string> } = {},
): { attributes: Record<string, unknown>; dropped: string[] } {
  const attributes: Record<string, unknown> = Object.create(null);
  const dropped: string[] = [];
  const walk = (object: Record<string, unknown>, prefix: string, path: string, depth: number) => {
    for (const key of Object.keys(object)) {
      if (depth === 0 && options.skip?.has(key)) continue;
      const value = object[key];
      const name = prefix === '' ? key : `${prefix}_${key}`;
      const at = path === '' ? key : `${path}.${key}`;
      if (FORBIDDEN_KEYS.has(key)) dropped.push(`traits.${at} (forbidden key)`);
      else if (Array.isArray(value)) dropped.push(`traits.${at} (arrays are not stored)`);
      else if (isObject(value)) {
        if (depth + 1 >= MAX_DEPTH) dropped.push(`traits.${at} (nested too deep)`);
        else walk(value, name, at, depth + 1);
      } else if (value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') {
        attributes[name] = value;
      } else dropped.push(`traits.${at} (unsupported value)`);
    }
  };
  walk(traits, '', '', 0);
  return { attributes, dropped };
}

/**
 * One Segment message → an identify call or a reason it is ignored. `defaultType` is the type
 * implied by the endpoint (`/v1/identify`); `context` is a batch-level context, used when the
 * message has none.
 */
export function mapSegmentMessage(message: unknown, options: { defaultType?: string; context?: unknown } = {}): SegmentMapping {
  if (!isObject(message)) return { kind: 'ignored', reason: 'not_an_object' };
  const type = typeof message.type === 'string' ? message.type : options.defaultType;
  if (type === undefined) return { kind: 'ignored', reason: 'missing_type' };
  if (type !== 'identify') return { kind: 'ignored', reason: `type_${type}` };

  const userId = idOf(message.userId);
  const anonymousId = idOf(message.anonymousId);
  const traits = isObject(message.traits) ? message.traits : {};
  const context = isObject(message.context) ? message.context : isObject(options.context) ? options.context : {};
  const { attributes, dropped } = flattenTraits(traits, { skip: STANDARD_TRAITS });

  const customer: MappedCustomer = { custom_attributes: attributes };
  if (userId !== undefined) customer.user_id = userId;
  if ('email' in traits) customer.email = traits.email;
  if ('name' in traits) customer.name = traits.name;
  const first = 'firstName' in traits ? traits.firstName : traits.first_name;
  const last = 'lastName' in traits ? traits.lastName : traits.last_name;
  if (first !== undefined) customer.first_name = first;
  if (last !== undefined) customer.last_name = last;
  if ('phone' in traits) customer.phone = typeof traits.phone === 'number' ? String(traits.phone) : traits.phone;
  if (traits.createdAt !== undefined && traits.createdAt !== null) {
    const seconds = toUnixSeconds(traits.createdAt);
    if (seconds === undefined) dropped.push('traits.createdAt (not an ISO 8601 date or UNIX seconds)');
    else customer.signed_up_at = seconds;
  }
  if (typeof context.ip === 'string' && context.ip !== '') customer.ip = context.ip;

  const hasEmail = typeof customer.email === 'string' && customer.email.trim() !== '';
  if (userId === undefined && anonymousId === undefined && !hasEmail) return { kind: 'ignored', reason: 'missing_identity' };
  return {
    kind: 'identify',
    customer,
    ...(anonymousId !== undefined ? { anonymousId } : {}),
    ...(idOf(message.messageId) !== undefined ? { messageId: idOf(message.messageId) } : {}),
    dropped,
  };
}
