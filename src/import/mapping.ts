// Turns one import record into an identify call: standard fields by column name, every other
// column a custom attribute, CSV text typed (numbers, booleans, dates). It only shapes the
// call; validation stays in the customer service, the same code the API runs.
import type { FieldError } from '../errors.js';

export const STANDARD_FIELDS = new Set(['user_id', 'email', 'name', 'first_name', 'last_name', 'phone', 'signed_up_at', 'ip']);

/**
 * Columns an export writes that no identify call may set (the server manages them), plus
 * per-call switches the import sets itself. Dropped on import, so an export re-imports cleanly.
 */
export const IGNORED_FIELDS = new Set(['id', 'anonymous_id', 'first_seen', 'last_seen', 'sessions', 'updated_at', 'update_session', 'api_key']);

const ATTRIBUTE_PREFIX = 'custom_attributes.';

export interface MappingOptions {
  /** Source column → target: a standard field, an attribute key, or `custom_attributes.<key>`. */
  rename: ReadonlyMap<string, string>;
  /** Source columns to drop. */
  skip: ReadonlySet<string>;
  /** Columns (source or target names) holding ISO 8601 dates, stored as UNIX seconds. */
  dates: ReadonlySet<string>;
  updateSession: boolean;
}

export type Mapped = { ok: true; input: Record<string, unknown> } | { ok: false; errors: FieldError[] };

/** Where a source column goes. */
export type Target = { kind: 'ignore' } | { kind: 'field'; name: string } | { kind: 'attribute'; key: string } | { kind: 'attributes' };

export function targetOf(column: string, options: MappingOptions): Target {
  if (options.skip.has(column)) return { kind: 'ignore' };
  const target = options.rename.get(column) ?? column;
  if (IGNORED_FIELDS.has(target)) return { kind: 'ignore' };
  if (STANDARD_FIELDS.has(target)) return { kind: 'field', name: target };
  if (target === 'custom_attributes') return { kind: 'attributes' };
  if (target.startsWith(ATTRIBUTE_PREFIX)) return { kind: 'attribute', key: target.slice(ATTRIBUTE_PREFIX.length) };
  return { kind: 'attribute', key: target };
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const INTEGER = /^\d+$/;
/** A calendar date, optionally with a time and zone: 2024-03-01, 2024-03-01T10:00:00Z, 2024-03-01 10:00:00+02:00. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** CSV text → number or boolean when it unmistakably is one; anything else stays text. */
export function typeText(value: string): string | number | boolean {
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  // Only canonical numbers: "007", "1e400" or a 20-digit ID stay strings so nothing is lost.
  if (NUMBER.test(value)) {
    const number = Number(value);
    if (Number.isFinite(number) && (!INTEGER.test(value.replace(/^-/, '')) || Number.isSafeInteger(number)) && !/^-?0\d/.test(value)) {
      return number;
    }
  }
  return value;
}

/** ISO 8601 date or whole UNIX seconds → UNIX seconds; null when it is neither. */
export function toUnixSeconds(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (INTEGER.test(text)) return Number(text);
  if (!ISO_DATE.test(text)) return null;
  // A date without a zone is read as UTC, as a server with users in many zones should.
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text) || !text.includes(':') ? text : `${text}Z`;
  const millis = Date.parse(zoned.includes('T') || !zoned.includes(' ') ? zoned : zoned.replace(' ', 'T'));
  return Number.isNaN(millis) ? null : Math.floor(millis / 1000);
}

function pathOf(target: Target): string {
  if (target.kind === 'field') return target.name;
  if (target.kind === 'attribute') return `custom_attributes.${target.key}`;
  return 'custom_attributes';
}

interface ColumnPlan {
  target: Target;
  path: string;
  isDate: boolean;
}

export type RecordMapper = (record: Record<string, unknown>, text: boolean) => Mapped;

/**
 * Build the identify call for one record. `text` records (CSV) have string cells: empty cells
 * are "no value" (the stored value is kept) and the rest are typed. JSON records keep their types.
 * Where each column goes is worked out once per column name, not once per cell.
 */
export function createMapper(mapping: MappingOptions): RecordMapper {
  const plans = new Map<string, ColumnPlan>();
  const planOf = (column: string): ColumnPlan => {
    let plan = plans.get(column);
    if (!plan) {
      const target = targetOf(column, mapping);
      const path = pathOf(target);
      const isDate = mapping.dates.has(column) || mapping.dates.has(path) || (target.kind === 'attribute' && mapping.dates.has(target.key));
      plan = { target, path, isDate };
      if (plans.size < 10_000) plans.set(column, plan); // JSON records may invent keys without end
    }
    return plan;
  };

  return (record, text) => {
    // Plain objects: every row builds the same shape, far cheaper to make, validate and clone
    // than null-prototype (dictionary) objects. Only standard field names are set on `input`;
    // an attribute key `__proto__` goes through defineProperty, so it stays an ordinary key
    // (which the customer rules then refuse).
    const input: Record<string, unknown> = {};
    const attributes: Record<string, unknown> = {};
    let errors: FieldError[] | null = null;
    let hasAttributes = false;

    for (const column in record) {
      const value = record[column];
      if (value === undefined || (text && value === '')) continue;
      const { target, path, isDate } = planOf(column);
      if (target.kind === 'ignore') continue;

      let typed: unknown = value;
      if (isDate || (target.kind === 'field' && target.name === 'signed_up_at' && typeof value === 'string')) {
        const seconds = value === null ? null : toUnixSeconds(value);
        if (seconds === null && value !== null) {
          if (isDate) {
            (errors ??= []).push({ field: path, message: 'is not an ISO 8601 date (2024-03-01 or 2024-03-01T10:00:00Z) or UNIX seconds' });
            continue;
          }
          // Not a date: pass it through and let the customer rules explain what is expected.
        } else {
          typed = seconds;
        }
      } else if (text && target.kind !== 'field' && typeof value === 'string') {
        typed = typeText(value);
      }

      if (target.kind === 'field') {
        input[target.name] = typed;
      } else if (target.kind === 'attribute') {
        setKey(attributes, target.key, typed);
        hasAttributes = true;
      } else if (typeof typed === 'object' && typed !== null && !Array.isArray(typed)) {
        for (const key of Object.keys(typed)) setKey(attributes, key, (typed as Record<string, unknown>)[key]);
        hasAttributes = true;
      } else if (typed !== null) {
        input.custom_attributes = typed; // not an object: the customer rules reject it with its field
      }
    }
    if (errors) return { ok: false, errors };
    if (hasAttributes && input.custom_attributes === undefined) input.custom_attributes = attributes;
    input.update_session = mapping.updateSession;
    return { ok: true, input };
  };
}

function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Parse repeated `--map col=field` options. */
export function parseRenames(pairs: readonly string[]): Map<string, string> {
  const renames = new Map<string, string>();
  for (const pair of pairs) {
    const at = pair.lastIndexOf('=');
    const from = at > 0 ? pair.slice(0, at).trim() : '';
    const to = at > 0 ? pair.slice(at + 1).trim() : '';
    if (!from || !to) throw new Error(`--map takes COLUMN=FIELD, got "${pair}"`);
    renames.set(from, to);
  }
  return renames;
}

/** Parse repeated, comma-separated column lists (`--skip a,b --skip c`). */
export function parseColumnList(values: readonly string[]): Set<string> {
  return new Set(values.flatMap((value) => value.split(',')).map((name) => name.trim()).filter((name) => name !== ''));
}
