// How values are shown: standard times, and custom attributes by their trait's type and format.
import type { AttributeValue, Trait, TraitFormat, TraitType } from './api';

export const TYPE_LABELS: Record<TraitType, string> = { string: 'Text', number: 'Number', boolean: 'Boolean', date: 'Date' };

export const FORMATS: Record<TraitType, { value: TraitFormat; label: string }[]> = {
  string: [
    { value: 'text', label: 'Text' },
    { value: 'email', label: 'Email' },
    { value: 'url', label: 'URL' },
  ],
  number: [
    { value: 'numeric', label: 'Numeric' },
    { value: 'currency', label: 'Currency (USD)' },
  ],
  boolean: [
    { value: 'yes_no', label: 'Yes / No' },
    { value: 'true_false', label: 'True / False' },
    { value: 'on_off', label: 'On / Off' },
  ],
  date: [
    { value: 'date', label: 'Date' },
    { value: 'datetime', label: 'Date + time' },
    { value: 'relative', label: 'Relative time' },
  ],
};

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 6 });
const currencyFormat = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['week', 7 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

export function relative(seconds: number, now = Date.now() / 1000): string {
  const delta = seconds - now;
  if (Math.abs(delta) < 45) return 'just now';
  for (const [unit, size] of UNITS) {
    if (Math.abs(delta) >= size || unit === 'second') return relativeFormat.format(Math.round(delta / size), unit);
  }
  return '';
}

export function formatDate(seconds: number | null): string {
  return seconds === null ? '—' : dateFormat.format(new Date(seconds * 1000));
}

export function formatDateTime(seconds: number | null): string {
  return seconds === null ? '—' : dateTimeFormat.format(new Date(seconds * 1000));
}

export interface Rendered {
  text: string;
  /** A link for email and url formats (http/https/mailto only). */
  href?: string;
  /** Full value on hover, e.g. the exact time behind "3 days ago". */
  title?: string;
}

function asSeconds(value: AttributeValue): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? null : parsed / 1000;
  }
  return null;
}

function asBoolean(value: AttributeValue): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  const text = value.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(text)) return true;
  if (['false', 'no', 'off', '0', ''].includes(text)) return false;
  return null;
}

/** A custom attribute as its trait says; the raw value when it does not fit the type. */
export function renderAttribute(value: AttributeValue, trait: Pick<Trait, 'type' | 'format'> | undefined): Rendered {
  const raw = { text: String(value) };
  if (!trait) return raw;
  switch (trait.type) {
    case 'date': {
      const seconds = asSeconds(value);
      if (seconds === null) return raw;
      if (trait.format === 'relative') return { text: relative(seconds), title: formatDateTime(seconds) };
      if (trait.format === 'datetime') return { text: formatDateTime(seconds) };
      return { text: formatDate(seconds), title: formatDateTime(seconds) };
    }
    case 'boolean': {
      const truth = asBoolean(value);
      if (truth === null) return raw;
      if (trait.format === 'true_false') return { text: truth ? 'true' : 'false' };
      if (trait.format === 'on_off') return { text: truth ? 'On' : 'Off' };
      return { text: truth ? 'Yes' : 'No' };
    }
    case 'number': {
      const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
      if (!Number.isFinite(number)) return raw;
      return { text: trait.format === 'currency' ? currencyFormat.format(number) : numberFormat.format(number) };
    }
    default: {
      const text = String(value);
      if (trait.format === 'email' && /^[^\s@]+@[^\s@]+$/.test(text)) return { text, href: `mailto:${text}` };
      if (trait.format === 'url' && /^https?:\/\//i.test(text)) return { text, href: text };
      return { text };
    }
  }
}
