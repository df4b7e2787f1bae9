// The E.164 shortcut must give exactly the library's answer: compared on every calling code,
// every national number length, numbers starting with every digit, and random input.
import metadataJson from 'libphonenumber-js/min/metadata';
import { describe, expect, it } from 'vitest';
import { libraryE164, normalisePhone, plainE164 } from '../../src/customers/phone.js';
import { seededRandom } from '../support/random.js';

const CODES = Object.keys((metadataJson as unknown as { country_calling_codes: Record<string, string[]> }).country_calling_codes);

/** Deterministic digits, so a failure names a reproducible input. */
const digitSource = (seed: number) => seededRandom(seed).digits;

describe('phone numbers: the E.164 shortcut agrees with libphonenumber', () => {
  it('on every calling code × national length × leading digit', () => {
    const digits = digitSource(42);
    const mismatches: string[] = [];
    let decidedByShortcut = 0;
    let compared = 0;
    for (const code of CODES) {
      for (let length = 0; length <= 17 - code.length; length += 1) {
        for (let lead = 0; lead < 10; lead += 1) {
          for (let sample = 0; sample < 3; sample += 1) {
            const national = length === 0 ? '' : `${lead}${digits(length - 1)}`;
            const raw = `+${code}${national}`;
            const expected = libraryE164(raw);
            if (plainE164(raw) !== undefined) decidedByShortcut += 1;
            compared += 1;
            if (normalisePhone(raw) !== expected) mismatches.push(`${raw}: shortcut ${normalisePhone(raw)}, library ${expected}`);
          }
        }
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    // The shortcut must actually carry most plain E.164 input, or it is not worth having.
    expect(decidedByShortcut / compared).toBeGreaterThan(0.6);
  });

  it('on 50,000 random "+digits" strings', () => {
    const digits = digitSource(7);
    const mismatches: string[] = [];
    for (let i = 0; i < 50_000; i += 1) {
      const raw = `+${digits(1 + (i % 17))}`;
      if (normalisePhone(raw) !== libraryE164(raw)) mismatches.push(raw);
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
  });

  it('answers common numbers itself and leaves formatted or national input to the library', () => {
    for (const raw of ['+14155552671', '+15555555555', '+4915123456789', '+33612345678', '+61412345678']) {
      expect(plainE164(raw)).toBe(raw);
    }
    expect(plainE164('+1555')).toBeNull();
    expect(plainE164('+44 20 7946 0958')).toBeUndefined();
    expect(plainE164('020 7946 0958')).toBeUndefined();
    expect(normalisePhone('+44 20 7946 0958')).toBe('+442079460958');
    expect(normalisePhone('(415) 555-2671', 'US')).toBe('+14155552671');
  });
});
