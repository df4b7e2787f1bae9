// The pure parts of import: typing CSV text, dates, column mapping, and the streaming readers.
import { describe, expect, it } from 'vitest';
import { readRecords } from '../../src/import/formats.js';
import { createMapper, parseRenames, toUnixSeconds, typeText } from '../../src/import/mapping.js';

async function* chunked(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(format: 'csv' | 'ndjson' | 'json', text: string, size = 3) {
  const items = [];
  for await (const item of readRecords(format, chunked(text, size))) items.push(item);
  return items;
}

describe('typeText', () => {
  it('types only what is unmistakable', () => {
    expect(typeText('42')).toBe(42);
    expect(typeText('-1.5')).toBe(-1.5);
    expect(typeText('TRUE')).toBe(true);
    expect(typeText('false')).toBe(false);
    for (const text of ['007', '02139', '12345678901234567890', '1e400', 'yes', '1,000', ' 42', 'NaN']) expect(typeText(text)).toBe(text);
  });
});

describe('toUnixSeconds', () => {
  it('reads ISO dates (UTC when no zone) and whole seconds', () => {
    expect(toUnixSeconds('2024-03-01')).toBe(Date.UTC(2024, 2, 1) / 1000);
    expect(toUnixSeconds('2024-03-01T10:00:00Z')).toBe(Date.UTC(2024, 2, 1, 10) / 1000);
    expect(toUnixSeconds('2024-03-01 10:00:00')).toBe(Date.UTC(2024, 2, 1, 10) / 1000);
    expect(toUnixSeconds('2024-03-01T12:00:00+02:00')).toBe(Date.UTC(2024, 2, 1, 10) / 1000);
    expect(toUnixSeconds('1585775554')).toBe(1585775554);
    expect(toUnixSeconds('03/01/2024')).toBeNull();
    expect(toUnixSeconds('2024-13-45')).toBeNull();
  });
});

describe('createMapper', () => {
  const mapper = (options: Partial<Parameters<typeof createMapper>[0]> = {}) =>
    createMapper({ rename: new Map(), skip: new Set(), dates: new Set(), updateSession: false, ...options });

  it('routes standard fields, attributes, renames and skips; drops server-managed columns', () => {
    const map = mapper({ rename: parseRenames(['Mail=email', 'Tier=plan']), skip: new Set(['secret']) });
    const mapped = map({ user_id: '7', Mail: 'a@b.co', Tier: 'pro', secret: 'x', sessions: '9', 'custom_attributes.email': 'alt', count: '3', blank: '' }, true);
    expect(mapped).toEqual({
      ok: true,
      input: { user_id: '7', email: 'a@b.co', custom_attributes: { plan: 'pro', email: 'alt', count: 3 }, update_session: false },
    });
  });

  it('keeps JSON types and merges a custom_attributes object with loose columns', () => {
    const mapped = mapper({ updateSession: true })({ user_id: 1, custom_attributes: { a: '1' }, b: 2, c: null }, false);
    expect(mapped).toEqual({ ok: true, input: { user_id: 1, custom_attributes: { a: '1', b: 2, c: null }, update_session: true } });
  });

  it('keeps a __proto__ column an ordinary attribute key (for the customer rules to refuse)', () => {
    const mapped = mapper()(JSON.parse('{"user_id":"1","__proto__":"x"}') as Record<string, unknown>, true);
    const attributes = (mapped as unknown as { input: { custom_attributes: Record<string, unknown> } }).input.custom_attributes;
    expect(Object.keys(attributes)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
  });

  it('reports a --dates column that is not a date', () => {
    expect(mapper({ dates: new Set(['renews']) })({ user_id: '1', renews: 'soon' }, true)).toMatchObject({
      ok: false,
      errors: [{ field: 'custom_attributes.renews' }],
    });
  });

  it('rejects malformed --map', () => {
    expect(() => parseRenames(['nothing'])).toThrow('COLUMN=FIELD');
  });
});

describe('readers', () => {
  it('CSV: split chunks, BOM, CRLF, quoted newlines and start lines', async () => {
    const items = await collect('csv', '\ufeffa,b\r\n1,"x, y"\r\n\r\n2,"multi\r\nline"\r\n3,z\r\n', 2);
    expect(items).toEqual([
      { line: 2, record: { a: '1', b: 'x, y' }, text: true },
      { line: 4, record: { a: '2', b: 'multi\r\nline' }, text: true },
      { line: 6, record: { a: '3', b: 'z' }, text: true },
    ]);
  });

  it('CSV: a malformed record is reported with its line and skipped, in any chunking', async () => {
    const text = 'a,b\n1,"two\nlines" x\n2,ok\n3,un"quoted\n"4\n",""""\n5,"never closed\n6,z\n';
    for (const size of [1, 2, 5, 1000]) {
      expect(await collect('csv', text, size)).toEqual([
        { line: 2, error: expect.stringContaining('followed by a comma'), raw: '1,"two\nlines" x' },
        { line: 4, record: { a: '2', b: 'ok' }, text: true },
        { line: 5, error: expect.stringContaining('quote inside an unquoted field'), raw: '3,un"quoted' },
        { line: 6, record: { a: '4\n', b: '"' }, text: true },
        { line: 8, error: expect.stringContaining('not closed'), raw: '5,"never closed\n6,z' },
      ]);
    }
  });

  it('CSV: CR line ends, a last line without a break, a column named __proto__', async () => {
    expect(await collect('csv', 'a,b\r1,2\r\r3,"x\ry"', 1)).toEqual([
      { line: 2, record: { a: '1', b: '2' }, text: true },
      { line: 4, record: { a: '3', b: 'x\ry' }, text: true },
    ]);
    const [item] = await collect('csv', '__proto__,b\n{},2\n');
    expect(item).toMatchObject({ line: 2, text: true });
    const record = (item as { record: Record<string, unknown> }).record;
    expect(Object.keys(record)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(record)).toBeNull();
  });

  it('CSV: refuses a header with a duplicate or empty name', async () => {
    await expect(collect('csv', 'a,a\n1,2\n')).rejects.toThrow('twice');
    await expect(collect('csv', 'a,\n1,2\n')).rejects.toThrow('no name');
  });

  it('NDJSON: multi-byte characters split across chunks', async () => {
    expect(await collect('ndjson', '{"n":"Zoë ☃"}\n{"n":"ok"}', 1)).toEqual([
      { line: 1, record: { n: 'Zoë ☃' }, text: false },
      { line: 2, record: { n: 'ok' }, text: false },
    ]);
  });

  it('JSON array: strings holding brackets and commas, nested values, element lines, an unclosed array', async () => {
    const items = await collect('json', '[\n{"a":"],{\\"x"},\n {"b":[1,{"c":2}]}\n,\n7]', 2);
    expect(items).toEqual([
      { line: 2, record: { a: '],{"x' }, text: false },
      { line: 3, record: { b: [1, { c: 2 }] }, text: false },
      { line: 5, error: 'must be a JSON object describing one customer', raw: '7' },
    ]);
    expect(await collect('json', '[]')).toEqual([]);
    await expect(collect('json', '[{"a":1}')).rejects.toThrow('not closed');
    await expect(collect('json', '{"a":1}')).rejects.toThrow('array');
  });
});
