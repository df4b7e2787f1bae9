// Pure trait rules: what type and format a key is proposed on first sight, which formats fit
// which type, and the default display name. Knows nothing of HTTP or storage.
import type { AttributeValue } from '../customers/schemas.js';

export const TRAIT_TYPES = ['string', 'number', 'boolean', 'date'] as const;
export type TraitType = (typeof TRAIT_TYPES)[number];

/** Formats per type, the first being the default for that type. */
export const FORMATS_BY_TYPE = {
  string: ['text', 'email', 'url'],
  number: ['numeric', 'currency'],
  boolean: ['yes_no', 'true_false', 'on_off'],
  date: ['date', 'datetime', 'relative'],
} as const satisfies Record<TraitType, readonly string[]>;

export type TraitFormat = (typeof FORMATS_BY_TYPE)[TraitType][number];
export const TRAIT_FORMATS: readonly TraitFormat[] = Object.values(FORMATS_BY_TYPE).flat();

/**
 * UNIX seconds from 2000-01-01 to 2100-01-01: an integer in this range is far more often a
 * timestamp than a count or an amount, so it is proposed as a date (the owner can change it).
 */
export const PLAUSIBLE_SECONDS = { min: 946_684_800, max: 4_102_444_800 } as const;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const URL_LIKE = /^https?:\/\/\S+$/i;
const MONEY_KEY = /(^|_|-)(price|amount|revenue|mrr|arr|ltv|spend|spent|balance|total)(_|-|$)/i;

export interface Inferred {
  type: TraitType;
  format: TraitFormat;
}

export function defaultFormat(type: TraitType): TraitFormat {
  return FORMATS_BY_TYPE[type][0];
}

export function formatFits(type: TraitType, format: string): format is TraitFormat {
  return (FORMATS_BY_TYPE[type] as readonly string[]).includes(format);
}

/** The type and format proposed for `key` when `value` is the first value seen for it. */
export function inferTrait(key: string, value: AttributeValue): Inferred {
  if (typeof value === 'boolean') return { type: 'boolean', format: 'yes_no' };
  if (typeof value === 'number') {
    const integer = Number.isInteger(value) && value >= 0;
    if (integer && /_at$/i.test(key)) return { type: 'date', format: 'datetime' };
    if (integer && value >= PLAUSIBLE_SECONDS.min && value < PLAUSIBLE_SECONDS.max) return { type: 'date', format: 'date' };
    return { type: 'number', format: MONEY_KEY.test(key) ? 'currency' : 'numeric' };
  }
  if (EMAIL.test(value)) return { type: 'string', format: 'email' };
  if (URL_LIKE.test(value)) return { type: 'string', format: 'url' };
  return { type: 'string', format: 'text' };
}

/** `signed_up_at` → "Signed up at", `planName` → "Plan name". */
export function defaultDisplayName(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[-_\s]+/)
    .filter((word) => word !== '')
    .map((word) => word.toLowerCase());
  const text = words.join(' ');
  return text === '' ? key : text.charAt(0).toUpperCase() + text.slice(1);
}
