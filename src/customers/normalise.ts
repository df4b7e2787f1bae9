// Validation and normalisation of one identify call: the TypeBox schema checks shapes and
// sizes, then the rules a schema cannot say (E.164, IP, milliseconds, attribute keys).
import { isIP } from 'node:net';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import { normalisePhone } from './phone.js';
import type { Limits } from '../config.js';
import type { FieldError } from '../errors.js';
import type { CustomerChanges } from './merge.js';
import { customerInputSchema, type AttributeValue, type CustomerInput } from './schemas.js';

export interface NormaliseOptions {
  limits: Limits;
  /** ISO 3166 region used for national phone formats; none = E.164 required. */
  defaultRegion?: string | null;
  /** Prefix for error paths, e.g. `customers.3.` inside a bulk call. */
  path?: string;
  /** The caller identifies the customer another way (Segment's anonymousId): user_id and email may both be absent. */
  identityOptional?: boolean;
}

export type Normalised = { ok: true; value: CustomerChanges } | { ok: false; errors: FieldError[] };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const ATTRIBUTE_KEY = /^[\p{L}\p{N}_-]{1,50}$/u;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
/** Above this a timestamp is milliseconds: 10^11 seconds is the year 5138. */
const MAX_SECONDS = 1e11;

const TEXT_FIELDS = ['user_id', 'email', 'name', 'first_name', 'last_name', 'phone', 'ip'] as const;
const UNSTORABLE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** PostgreSQL text cannot hold U+0000 and jsonb refuses lone surrogates: refused on every store alike. */
function storableText(value: string): boolean {
  return !/\u0000|\p{Surrogate}/u.test(value);
}

const checkers = new WeakMap<Limits, TypeCheck<TSchema>>();
function checkerFor(limits: Limits): TypeCheck<TSchema> {
  let checker = checkers.get(limits);
  if (!checker) {
    checker = TypeCompiler.Compile(customerInputSchema(limits));
    checkers.set(limits, checker);
  }
  return checker;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `/custom_attributes/plan name` → `custom_attributes.plan name` (keys may contain `/`). */
function fieldOf(pointer: string): string {
  const rest = pointer.slice(1);
  const slash = rest.indexOf('/');
  return slash === -1 ? rest : `${rest.slice(0, slash)}.${rest.slice(slash + 1)}`;
}

function schemaErrors(checker: TypeCheck<TSchema>, input: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of checker.Errors(input)) {
    const field = fieldOf(error.path);
    if (seen.has(field)) continue;
    seen.add(field);
    const custom = (error.schema as { 'x-error-message'?: string })['x-error-message'];
    errors.push({ field, message: custom ?? error.message });
  }
  return errors;
}

/** Empty or whitespace-only text counts as "no value": clients send "" for unknown. */
function text(value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

export function splitName(name: string): { first: string; last: string | null } {
  const match = /^(\S+)\s+([\s\S]*)$/.exec(name);
  if (!match) return { first: name, last: null };
  const last = (match[2] ?? '').trim();
  return { first: match[1] as string, last: last === '' ? null : last };
}

/** Validate one identify call and turn it into changes; never throws for client input. */
export function normaliseCustomer(input: unknown, options: NormaliseOptions): Normalised {
  const prefix = options.path ?? '';
  const at = (field: string) => (field === '' ? prefix.replace(/\.$/, '') || 'body' : `${prefix}${field}`);
  if (!isPlainObject(input)) {
    return { ok: false, errors: [{ field: at(''), message: 'must be a JSON object describing one customer' }] };
  }
  const errors: FieldError[] = [];
  for (const key of FORBIDDEN_KEYS) {
    if (Object.hasOwn(input, key)) errors.push({ field: at(key), message: 'is a forbidden key' });
  }
  if (isPlainObject(input.custom_attributes)) {
    for (const key of Object.keys(input.custom_attributes)) {
      if (FORBIDDEN_KEYS.has(key)) errors.push({ field: at(`custom_attributes.${key}`), message: 'is a forbidden key' });
    }
  }
  const checker = checkerFor(options.limits);
  if (!checker.Check(input)) {
    for (const error of schemaErrors(checker, input)) errors.push({ field: at(error.field), message: error.message });
  }
  for (const field of TEXT_FIELDS) {
    const value = input[field];
    if (typeof value === 'string' && !storableText(value)) errors.push({ field: at(field), message: UNSTORABLE });
  }
  if (isPlainObject(input.custom_attributes)) {
    const attributes = input.custom_attributes;
    for (const key of Object.keys(attributes)) {
      const value = attributes[key];
      if (typeof value === 'string' && !storableText(value)) errors.push({ field: at(`custom_attributes.${key}`), message: UNSTORABLE });
    }
  }
  // Most calls are valid: then every field is fine, with no error paths to build and compare.
  const bad = errors.length === 0 ? null : new Set(errors.map((error) => error.field));
  const fine = (field: string) => bad === null || !bad.has(at(field));
  const body = input as CustomerInput;
  const changes: CustomerChanges = { updateSession: body.update_session ?? true };

  if (fine('user_id') && body.user_id !== undefined && body.user_id !== null) {
    if (typeof body.user_id === 'number' && !Number.isSafeInteger(body.user_id)) {
      errors.push({ field: at('user_id'), message: 'is an integer too large to keep exactly; send it as a string' });
    } else {
      changes.userId = String(body.user_id);
    }
  }
  if (fine('email') && body.email !== undefined) {
    const email = text(body.email);
    if (email && !EMAIL.test(email)) {
      errors.push({ field: at('email'), message: 'must be an email address with exactly one @' });
    } else {
      changes.email = email;
    }
  }
  const emailRejected = errors.length > 0 && errors.some((error) => error.field === at('email'));
  if (changes.userId === undefined && !changes.email && fine('user_id') && !emailRejected && !options.identityOptional) {
    errors.push({ field: at('user_id'), message: 'is required unless email is given' });
  }
  if (fine('name') && body.name !== undefined) {
    const name = text(body.name);
    const halves = name ? splitName(name) : { first: null, last: null };
    changes.firstName = halves.first;
    changes.lastName = halves.last;
  }
  if (fine('first_name') && body.first_name !== undefined) changes.firstName = text(body.first_name);
  if (fine('last_name') && body.last_name !== undefined) changes.lastName = text(body.last_name);
  if (fine('phone') && body.phone !== undefined) {
    const raw = text(body.phone);
    if (raw === null || raw === undefined) {
      changes.phone = raw;
    } else {
      const phone = normalisePhone(raw, options.defaultRegion);
      if (phone) changes.phone = phone;
      else
        errors.push({
          field: at('phone'),
          message: options.defaultRegion
            ? 'is not a possible phone number'
            : 'is not a possible phone number; use E.164 (+ country code and number)',
        });
    }
  }
  if (fine('signed_up_at') && body.signed_up_at !== undefined) {
    if (body.signed_up_at !== null && body.signed_up_at > MAX_SECONDS) {
      errors.push({ field: at('signed_up_at'), message: 'looks like milliseconds; send UNIX seconds' });
    } else {
      changes.signedUpAt = body.signed_up_at;
    }
  }
  if (fine('ip') && body.ip !== undefined) {
    const ip = text(body.ip);
    if (ip && isIP(ip) === 0) errors.push({ field: at('ip'), message: 'must be a valid IPv4 or IPv6 address' });
    else changes.ip = ip;
  }
  if (fine('custom_attributes') && isPlainObject(body.custom_attributes)) {
    const attributes: Record<string, AttributeValue | null> = Object.create(null);
    for (const key of Object.keys(body.custom_attributes)) {
      if (FORBIDDEN_KEYS.has(key)) {
        continue; // reported above
      } else if (!ATTRIBUTE_KEY.test(key)) {
        errors.push({
          field: at(`custom_attributes.${key}`),
          message: 'is not a valid key: use 1 to 50 letters, digits, "-" or "_" (no spaces or other punctuation)',
        });
      } else if (fine(`custom_attributes.${key}`)) {
        attributes[key] = (body.custom_attributes as Record<string, AttributeValue | null>)[key] as AttributeValue | null;
      }
    }
    changes.attributes = attributes;
  }
  if (errors.length === 0) return { ok: true, value: changes };
  const seen = new Set<string>();
  return { ok: false, errors: errors.filter((error) => !seen.has(error.field) && seen.add(error.field)) };
}
