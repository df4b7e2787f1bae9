import { describe, expect, it } from 'vitest';
import { flattenTraits, mapSegmentMessage, toUnixSeconds } from '../../src/segment/map-message.js';

describe('mapSegmentMessage', () => {
  it('maps the standard traits, context.ip and messageId', () => {
    const mapped = mapSegmentMessage({
      type: 'identify',
      userId: 'u1',
      messageId: 'm-1',
      traits: {
        email: 'ada@example.com',
        name: 'Ada Lovelace',
        firstName: 'Augusta',
        last_name: 'King',
        phone: '+15555555555',
        createdAt: '2020-04-01T21:12:34.000Z',
        plan: 'pro',
        logins: 3,
        paid: true,
        address: { city: 'London', geo: { lat: 51.5 } },
      },
      context: { ip: '203.0.113.9' },
    });
    expect(mapped).toEqual({
      kind: 'identify',
      customer: {
        user_id: 'u1',
        email: 'ada@example.com',
        name: 'Ada Lovelace',
        first_name: 'Augusta',
        last_name: 'King',
        phone: '+15555555555',
        signed_up_at: 1585775554,
        ip: '203.0.113.9',
        custom_attributes: { plan: 'pro', logins: 3, paid: true, address_city: 'London', address_geo_lat: 51.5 },
      },
      messageId: 'm-1',
      dropped: [],
    });
  });

  it('keeps camelCase custom keys as sent and takes createdAt in seconds', () => {
    const mapped = mapSegmentMessage({ type: 'identify', userId: 7, traits: { createdAt: 1585775554, planName: 'x' } });
    expect(mapped).toMatchObject({ kind: 'identify', customer: { user_id: '7', signed_up_at: 1585775554, custom_attributes: { planName: 'x' } } });
  });

  it('uses the endpoint type and the batch context when the message has none', () => {
    expect(mapSegmentMessage({ userId: 'u1' }, { defaultType: 'identify', context: { ip: '::1' } })).toMatchObject({
      kind: 'identify',
      customer: { user_id: 'u1', ip: '::1' },
    });
  });

  it('keeps the anonymousId of an anonymous-only identify', () => {
    expect(mapSegmentMessage({ type: 'identify', anonymousId: 'anon-1', traits: { plan: 'trial' } })).toMatchObject({
      kind: 'identify',
      anonymousId: 'anon-1',
      customer: { custom_attributes: { plan: 'trial' } },
    });
  });

  it('ignores other message types and messages with no identity, with a reason', () => {
    expect(mapSegmentMessage({ type: 'track', userId: 'u1', event: 'Signed Up' })).toEqual({ kind: 'ignored', reason: 'type_track' });
    expect(mapSegmentMessage({ type: 'identify', traits: { plan: 'x' } })).toEqual({ kind: 'ignored', reason: 'missing_identity' });
    expect(mapSegmentMessage('nope')).toEqual({ kind: 'ignored', reason: 'not_an_object' });
    expect(mapSegmentMessage({ userId: 'u1' })).toEqual({ kind: 'ignored', reason: 'missing_type' });
  });

  it('reports traits it cannot store instead of storing them wrongly', () => {
    const mapped = mapSegmentMessage({ type: 'identify', userId: 'u1', traits: { tags: ['a'], createdAt: 'last tuesday' } });
    expect(mapped).toMatchObject({ kind: 'identify', customer: { custom_attributes: {} } });
    expect(mapped.kind === 'identify' && mapped.dropped).toEqual(['traits.tags (arrays are not stored)', 'traits.createdAt (not an ISO 8601 date or UNIX seconds)']);
  });
});

describe('toUnixSeconds and flattenTraits', () => {
  it('reads ISO dates, seconds and numeric strings', () => {
    expect(toUnixSeconds('2020-04-01T21:12:34Z')).toBe(1585775554);
    expect(toUnixSeconds(1585775554.9)).toBe(1585775554);
    expect(toUnixSeconds('1585775554')).toBe(1585775554);
    expect(toUnixSeconds('soon')).toBeUndefined();
  });
  it('flattens nested objects with _ and drops forbidden keys', () => {
    const traits = JSON.parse('{"company":{"name":"Acme","size":{"band":"10-50"}},"__proto__":{"x":1},"note":null}');
    expect(flattenTraits(traits)).toEqual({
      attributes: { company_name: 'Acme', company_size_band: '10-50', note: null },
      dropped: ['traits.__proto__ (forbidden key)'],
    });
  });
});
