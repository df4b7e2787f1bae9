// Phone numbers: stored in E.164 when libphonenumber says the number is *possible* (the
// contract's rule). The library's full parse costs ~10 µs a call, a large share of one identify
// call, so plain E.164 input takes a shortcut that reaches the library's answer from the same
// metadata, and everything else goes through the library. test/unit/phone.test.ts compares the
// two on every calling code and length.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { Metadata, type MetadataJson } from 'libphonenumber-js/core';
import metadataJson from 'libphonenumber-js/min/metadata';

interface Plan {
  /** National number lengths possible in every country using the calling code. */
  always: ReadonlySet<number>;
  /** Lengths possible in at least one of them (the rest are never possible). */
  sometimes: ReadonlySet<number>;
  /** The national prefix the library would try to strip; numbers starting with it take the full parse. */
  nationalPrefix: RegExp | null;
}

/**
 * The library picks a country for a shared calling code only to read that country's possible
 * lengths. A length possible in every country sharing the code is possible whichever it picks;
 * one possible in none is impossible whichever it picks; only the lengths in between need the
 * full parse. Non-geographic codes (+800 …) are left to the library.
 */
function buildPlans(): Map<string, Plan> {
  const json = metadataJson as unknown as MetadataJson & { country_calling_codes: Record<string, string[]> };
  const metadata = new Metadata(json);
  const plans = new Map<string, Plan>();
  for (const [code, countries] of Object.entries(json.country_calling_codes)) {
    if (countries.length === 0 || countries.includes('001')) continue;
    const lengths = countries.map((country) => {
      metadata.selectNumberingPlan(country as CountryCode);
      return metadata.numberingPlan?.possibleLengths() ?? null;
    });
    if (lengths.some((l) => !l || l.length === 0)) continue;
    const sets = (lengths as number[][]).map((l) => new Set(l));
    const sometimes = new Set(sets.flatMap((set) => [...set]));
    const always = new Set([...sometimes].filter((length) => sets.every((set) => set.has(length))));
    // The parse strips the national prefix of the calling code's main country (listed first).
    metadata.selectNumberingPlan(countries[0] as CountryCode);
    // Untyped in the library's declarations; the parse uses it (extractNationalNumberFromPossiblyIncompleteNumber).
    const plan = metadata.numberingPlan as unknown as { nationalPrefixForParsing(): string | undefined } | undefined;
    const prefix = plan?.nationalPrefixForParsing();
    plans.set(code, { always, sometimes, nationalPrefix: prefix ? new RegExp(`^(?:${prefix})`) : null });
  }
  return plans;
}

const PLANS = buildPlans();
const PLAIN_E164 = /^\+[1-9]\d{1,16}$/;

/**
 * `+` and digits only, on a calling code the shortcut covers, not starting with the national
 * prefix: the E.164 form (or null when impossible), exactly as the library decides. Otherwise
 * undefined: ask the library.
 */
export function plainE164(raw: string): string | null | undefined {
  if (!PLAIN_E164.test(raw)) return undefined;
  for (let size = 1; size <= 3; size += 1) {
    const plan = PLANS.get(raw.slice(1, 1 + size));
    if (plan === undefined) continue;
    const national = raw.slice(1 + size);
    if (national === '' || (plan.nationalPrefix !== null && plan.nationalPrefix.test(national))) return undefined;
    if (plan.always.has(national.length)) return raw.length - 1 <= 15 ? raw : null;
    return plan.sometimes.has(national.length) ? undefined : null;
  }
  return undefined;
}

const WHOLE_TEXT = { extract: false } as const;

/** E.164 for a possible number; null otherwise. National formats need `defaultRegion`. */
export function normalisePhone(raw: string, defaultRegion?: string | null): string | null {
  const quick = plainE164(raw);
  if (quick !== undefined) return quick;
  return libraryE164(raw, defaultRegion);
}

/** The library's answer, the reference the shortcut is tested against. */
export function libraryE164(raw: string, defaultRegion?: string | null): string | null {
  const digits = raw.replace(/\D/g, '');
  if (digits.length === 0 || digits.length > 17) return null;
  // The library copies its options object key by key on every call: pass no more keys than needed.
  const parsed = parsePhoneNumberFromString(
    raw,
    defaultRegion ? { defaultCountry: defaultRegion as CountryCode, extract: false } : WHOLE_TEXT,
  );
  if (!parsed || !parsed.isPossible()) return null;
  const e164 = parsed.number;
  return e164.length - 1 <= 15 ? e164 : null;
}
