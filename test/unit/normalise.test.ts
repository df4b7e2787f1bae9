import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { normaliseCustomer, splitName } from '../../src/customers/normalise.js';
import { normalisePhone } from '../../src/customers/phone.js';

const opts = { limits: DEFAULT_LIMITS };
function ok(input: unknown, extra: Partial<Parameters<typeof normaliseCustomer>[1]> = {}) {
  const result = normaliseCustomer(input, { ...opts, ...extra });
  if (!result.ok) throw new Error(`expected valid, got ${JSON.stringify(result.errors)}`);
  return result.value;
}
function fields(input: unknown, extra: Partial<Parameters<typeof normaliseCustomer>[1]> = {}) {
  const result = normaliseCustomer(input, { ...opts, ...extra });
  if (result.ok) throw new Error('expected errors');
  return result.errors.map((error) => error.field);
}

describe('names', () => {
  it('splits on the first run of whitespace', () => {
    expect(splitName('Billy Madison')).toEqual({ first: 'Billy', last: 'Madison' });
    expect(splitName('Mary   Ann Smith')).toEqual({ first: 'Mary', last: 'Ann Smith' });
    expect(splitName('Cher')).toEqual({ first: 'Cher', last: null });
  });
  it('lets first_name and last_name win over the halves of name', () => {
    const changes = ok({ user_id: '1', name: 'Billy Madison', first_name: 'William' });
    expect(changes.firstName).toBe('William');
    expect(changes.lastName).toBe('Madison');
    expect(ok({ user_id: '1', name: 'Billy Madison', last_name: 'M.' }).lastName).toBe('M.');
  });
});

describe('phone', () => {
  it('normalises possible numbers to E.164', () => {
    expect(normalisePhone('+15555555555')).toBe('+15555555555');
    expect(normalisePhone('+44 20 7946 0958')).toBe('+442079460958');
    expect(normalisePhone('(415) 555-2671', 'US')).toBe('+14155552671');
  });
  it('rejects text and national numbers without a region', () => {
    expect(normalisePhone('call me maybe')).toBeNull();
    expect(normalisePhone('415 555 2671')).toBeNull();
    expect(normalisePhone('+1 555')).toBeNull();
    expect(normalisePhone('+1234567890123456789')).toBeNull();
  });
});

describe('identity fields', () => {
  it('requires user_id unless email is given', () => {
    expect(fields({ name: 'x' })).toEqual(['user_id']);
    expect(ok({ email: ' Billy@CrowdPower.io ' }).email).toBe('Billy@CrowdPower.io');
  });
  it('stores an integer user_id as its decimal string and refuses unsafe ones', () => {
    expect(ok({ user_id: 42 }).userId).toBe('42');
    expect(fields({ user_id: 2 ** 60 })).toEqual(['user_id']);
    expect(fields({ user_id: '' })).toEqual(['user_id']);
    expect(fields({ user_id: 'x'.repeat(256) })).toEqual(['user_id']);
  });
  it('checks emails have exactly one @', () => {
    expect(fields({ email: 'a@b@c' })).toEqual(['email']);
    expect(fields({ email: 'nobody' })).toEqual(['email']);
    expect(fields({ user_id: '1', email: `${'a'.repeat(250)}@b.io` })).toEqual(['email']);
  });
});

describe('signed_up_at and ip', () => {
  it('catches milliseconds', () => {
    const result = normaliseCustomer({ user_id: '1', signed_up_at: 1585775554000 }, opts);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.message).toMatch(/milliseconds/);
    expect(fields({ user_id: '1', signed_up_at: -1 })).toEqual(['signed_up_at']);
    expect(fields({ user_id: '1', signed_up_at: 1.5 })).toEqual(['signed_up_at']);
    expect(fields({ user_id: '1', signed_up_at: '1585775554' })).toEqual(['signed_up_at']);
    expect(ok({ user_id: '1', signed_up_at: 1585775554 }).signedUpAt).toBe(1585775554);
  });
  it('accepts IPv4 and IPv6 only', () => {
    expect(ok({ user_id: '1', ip: '203.0.113.7' }).ip).toBe('203.0.113.7');
    expect(ok({ user_id: '1', ip: '2001:db8::1' }).ip).toBe('2001:db8::1');
    expect(fields({ user_id: '1', ip: '999.1.1.1' })).toEqual(['ip']);
  });
});

describe('custom attributes', () => {
  it('accepts strings, numbers, booleans and null (removal)', () => {
    expect(ok({ user_id: '1', custom_attributes: { plan: 'pro', seats: 3, paid: true, old: null } }).attributes).toEqual({
      plan: 'pro',
      seats: 3,
      paid: true,
      old: null,
    });
  });
  it('names every bad key and value', () => {
    expect(
      fields({
        user_id: '1',
        custom_attributes: { 'plan name': 'x', 'a.b': 1, nested: { a: 1 }, list: [1], long: 'x'.repeat(1001), ['k'.repeat(51)]: 1 },
      }).sort(),
    ).toEqual(
      ['custom_attributes.a.b', `custom_attributes.${'k'.repeat(51)}`, 'custom_attributes.list', 'custom_attributes.long', 'custom_attributes.nested', 'custom_attributes.plan name'].sort(),
    );
  });
  it('rejects prototype keys without polluting anything', () => {
    const input = JSON.parse('{"user_id":"1","custom_attributes":{"__proto__":{"polluted":true},"constructor":"x","prototype":1}}');
    expect(fields(input).sort()).toEqual(['custom_attributes.__proto__', 'custom_attributes.constructor', 'custom_attributes.prototype']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('limits the number of attributes per call', () => {
    const many = Object.fromEntries(Array.from({ length: 301 }, (_, i) => [`k${i}`, i]));
    expect(fields({ user_id: '1', custom_attributes: many })).toEqual(['custom_attributes']);
  });
  it('rejects a non-object custom_attributes', () => {
    expect(fields({ user_id: '1', custom_attributes: [1] })).toEqual(['custom_attributes']);
    expect(fields({ user_id: '1', custom_attributes: null })).toEqual(['custom_attributes']);
  });
});

describe('update_session and unknown fields', () => {
  it('defaults update_session to true and ignores server-managed fields', () => {
    const changes = ok({ user_id: '1', sessions: 99, first_seen: 1, last_seen: 2, id: 7 });
    expect(changes).toEqual({ userId: '1', updateSession: true });
    expect(ok({ user_id: '1', update_session: false }).updateSession).toBe(false);
    expect(fields({ user_id: '1', update_session: 'no' })).toEqual(['update_session']);
  });
  it('prefixes paths inside a bulk call', () => {
    expect(fields({ email: 'bad' }, { path: 'customers.3.' })).toEqual(['customers.3.email']);
    expect(fields('x', { path: 'customers.3.' })).toEqual(['customers.3']);
  });
});
