import { describe, expect, it } from 'vitest';
import { defaultDisplayName, defaultFormat, formatFits, inferTrait } from '../../src/traits/infer.js';

describe('trait type inference', () => {
  it('proposes dates for *_at numbers and for integers in the UNIX-seconds range', () => {
    expect(inferTrait('trial_ends_at', 1_700_000_000)).toEqual({ type: 'date', format: 'datetime' });
    expect(inferTrait('trial_ends_at', 12)).toEqual({ type: 'date', format: 'datetime' });
    expect(inferTrait('renewal', 1_800_000_000)).toEqual({ type: 'date', format: 'date' });
  });

  it('keeps counts, fractions and out-of-range numbers as numbers', () => {
    expect(inferTrait('logins', 42)).toEqual({ type: 'number', format: 'numeric' });
    expect(inferTrait('score', 1_700_000_000.5)).toEqual({ type: 'number', format: 'numeric' });
    expect(inferTrait('population', 8_000_000_000)).toEqual({ type: 'number', format: 'numeric' });
    expect(inferTrait('created_at', -5)).toEqual({ type: 'number', format: 'numeric' });
    expect(inferTrait('mrr', 99)).toEqual({ type: 'number', format: 'currency' });
    expect(inferTrait('total_spent', 10.5)).toEqual({ type: 'number', format: 'currency' });
  });

  it('reads booleans and string shapes', () => {
    expect(inferTrait('paid', true)).toEqual({ type: 'boolean', format: 'yes_no' });
    expect(inferTrait('work_email', 'a@b.co')).toEqual({ type: 'string', format: 'email' });
    expect(inferTrait('site', 'https://example.com/x')).toEqual({ type: 'string', format: 'url' });
    expect(inferTrait('plan', 'pro')).toEqual({ type: 'string', format: 'text' });
    expect(inferTrait('joined_at', '2024-01-01')).toEqual({ type: 'string', format: 'text' });
  });

  it('knows which formats fit which type', () => {
    expect(formatFits('boolean', 'on_off')).toBe(true);
    expect(formatFits('boolean', 'currency')).toBe(false);
    expect(defaultFormat('date')).toBe('date');
    expect(defaultFormat('string')).toBe('text');
  });

  it('derives readable display names', () => {
    expect(defaultDisplayName('signed_up_at')).toBe('Signed up at');
    expect(defaultDisplayName('planName')).toBe('Plan name');
    expect(defaultDisplayName('team-size')).toBe('Team size');
    expect(defaultDisplayName('__')).toBe('__');
  });
});
