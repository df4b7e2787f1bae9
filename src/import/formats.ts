// Streaming readers for the import formats: CSV with a header row, NDJSON and a JSON array.
// Each turns a stream of bytes into records (or per-record errors) with the line they start on,
// pulling input only as fast as records are consumed, so memory stays flat on any file size.
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { parse as parseCsv, type CsvError, type Options } from 'csv-parse';

export type ImportFormat = 'csv' | 'ndjson' | 'json';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['csv', 'ndjson', 'json'];

/** One record of the input, or why it could not be read. `line` counts from 1. */
export type SourceItem =
  | { line: number; record: Record<string, unknown>; text: boolean }
  | { line: number; error: string; raw?: unknown };

export class ImportFormatError extends Error {
  override name = 'ImportFormatError';
}

const BOM = 0xfeff;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Guess the format from the file name, then from the first non-blank character. */
export function detectFormat(input: { name?: string; head: Buffer }): ImportFormat {
  const name = input.name?.toLowerCase() ?? '';
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'ndjson';
  let text = input.head.toString('utf8');
  if (text.charCodeAt(0) === BOM) text = text.slice(1);
  const first = text.trimStart()[0];
  if (first === '[') return 'json';
  if (first === '{') return 'ndjson';
  return 'csv';
}

/** Peek at the first bytes of a chunk stream without losing them. */
export async function peek(chunks: AsyncIterable<Buffer>): Promise<{ head: Buffer; chunks: AsyncIterable<Buffer> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head = first.done ? Buffer.alloc(0) : first.value;
  async function* rest(): AsyncGenerator<Buffer> {
    if (!first.done) yield first.value;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, chunks: rest() };
}

export function readRecords(format: ImportFormat, chunks: AsyncIterable<Buffer>): AsyncGenerator<SourceItem> {
  if (format === 'csv') return readCsv(chunks);
  if (format === 'ndjson') return readNdjson(chunks);
  return readJsonArray(chunks);
}

/** CSV with a header row. Cells stay strings (`text: true`); quoted commas, CRLF and a BOM are handled. */
export async function* readCsv(chunks: AsyncIterable<Buffer>): AsyncGenerator<SourceItem> {
  // Lines are counted from each record's raw text, in parse order: the parser's own counter
  // counts a CRLF inside quotes twice and reports where a record ends, not where it starts.
  let nextLine = 1;
  const advance = (raw: string | undefined) => {
    const line = nextLine;
    let newlines = 0;
    // The raw text may or may not end with its record delimiter; the delimiter is the "+ 1".
    const text = raw?.endsWith('\n') ? raw.slice(0, -1) : (raw ?? '');
    for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) newlines += 1;
    nextLine += newlines + 1;
    return line;
  };
  // Unreadable records, each with the number of good records the parser had emitted before it,
  // so that lines are counted in parse order. (No on_record hook: csv-parse builds a full info
  // object for every record it calls one with, a good part of its cost.)
  const skipped: { before: number; raw: string | undefined; error: string }[] = [];
  const parser = parseCsv({
    bom: true,
    raw: true,
    relax_column_count: true,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined, raw: string | undefined) => {
      skipped.push({ before: parser.info.records, raw, error: `is not valid CSV: ${error?.message ?? 'unreadable record'}` });
      return undefined;
    },
  } as unknown as Options);
  const source = Readable.from(chunks);
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);

  const skippedItem = (): SourceItem => {
    const skip = skipped.shift() as (typeof skipped)[number];
    return { line: advance(skip.raw), error: skip.error, raw: skip.raw };
  };
  let header: string[] | null = null;
  let good = 0;
  try {
    for await (const { record: fields, raw } of parser as AsyncIterable<{ record: string[]; raw: string }>) {
      // The parser reports unreadable records as it meets them; keep them in file order.
      while (skipped.length > 0 && (skipped[0] as (typeof skipped)[number]).before <= good) yield skippedItem();
      good += 1;
      const line = advance(raw);
      if (fields.length === 1 && fields[0] === '') continue; // a blank line
      if (header === null) {
        header = fields.map((name) => name.trim());
        checkHeader(header);
        continue;
      }
      if (fields.length !== header.length) {
        yield { line, error: `has ${fields.length} fields; the header has ${header.length}`, raw: fields };
        continue;
      }
      const row: Record<string, unknown> = Object.create(null);
      for (let i = 0; i < header.length; i += 1) row[header[i] as string] = fields[i];
      yield { line, record: row, text: true };
    }
    while (skipped.length > 0) yield skippedItem();
  } finally {
    source.unpipe(parser);
    source.destroy();
    parser.destroy();
  }
}

function checkHeader(header: string[]): void {
  const seen = new Set<string>();
  header.forEach((name, index) => {
    if (name === '') throw new ImportFormatError(`CSV header column ${index + 1} has no name.`);
    if (seen.has(name)) throw new ImportFormatError(`CSV header names the column "${name}" twice.`);
    seen.add(name);
  });
}

/** Splits a byte stream into text lines, decoding UTF-8 across chunk boundaries. */
async function* lines(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let first = true;
  for await (const chunk of chunks) {
    let text = pending + decoder.write(chunk);
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === BOM) text = text.slice(1);
      first = false;
    }
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      yield text.slice(start, end);
      start = end + 1;
    }
    pending = text.slice(start);
  }
  pending += decoder.end();
  if (pending.length > 0) yield pending;
}

/** One JSON object per line; a broken line is reported and the rest still read. */
export async function* readNdjson(chunks: AsyncIterable<Buffer>): AsyncGenerator<SourceItem> {
  let line = 0;
  for await (const raw of lines(chunks)) {
    line += 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield { line, error: `is not valid JSON: ${(error as Error).message}`, raw: text };
      continue;
    }
    if (isPlainObject(value)) yield { line, record: value, text: false };
    else yield { line, error: 'must be a JSON object describing one customer', raw: text };
  }
}

/**
 * A JSON array of objects, read element by element: a scanner finds where each top-level
 * element ends (tracking strings and nesting) and only that element is parsed.
 */
export async function* readJsonArray(chunks: AsyncIterable<Buffer>): AsyncGenerator<SourceItem> {
  const decoder = new StringDecoder('utf8');
  type State = 'start' | 'value' | 'done';
  let state: State = 'start';
  let line = 1;
  let started = false;
  let element = '';
  let elementLine = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let hasContent = false;

  function* finish(): Generator<SourceItem> {
    const text = element.trim();
    element = '';
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield { line: elementLine, error: `is not valid JSON: ${(error as Error).message}`, raw: text };
      return;
    }
    if (isPlainObject(value)) yield { line: elementLine, record: value, text: false };
    else yield { line: elementLine, error: 'must be a JSON object describing one customer', raw: text };
  }

  async function* decoded(): AsyncGenerator<string> {
    for await (const chunk of chunks) yield decoder.write(chunk);
    yield decoder.end();
  }

  for await (let text of decoded()) {
    if (!started && text.length > 0) {
      if (text.charCodeAt(0) === BOM) text = text.slice(1);
      started = true;
    }
    let sliceStart = 0;
    for (let i = 0; i < text.length; i += 1) {
      const c = text.charCodeAt(i);
      if (c === 10) line += 1;
      if (state === 'value') {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 92 /* \ */) escaped = true;
          else if (c === 34 /* " */) inString = false;
          continue;
        }
        if (!hasContent && c !== 32 && c !== 9 && c !== 10 && c !== 13 && !(depth === 0 && (c === 44 || c === 93))) {
          hasContent = true;
          elementLine = line;
        }
        if (c === 34) inString = true;
        else if (c === 123 || c === 91) depth += 1; // { [
        else if (c === 125 || c === 93 || c === 44) {
          // } ] ,
          if (depth > 0) {
            if (c !== 44) depth -= 1;
            continue;
          }
          if (!hasContent) {
            if (c === 93) state = 'done'; // "[]", or a trailing comma before "]"
            else throw new ImportFormatError(`JSON array has an empty element on line ${line}.`);
            continue;
          }
          element += text.slice(sliceStart, i);
          yield* finish();
          hasContent = false;
          state = c === 44 ? 'value' : 'done';
          sliceStart = i + 1;
        }
        continue;
      }
      if (c === 32 || c === 9 || c === 10 || c === 13) continue;
      if (state === 'start') {
        if (c !== 91) throw new ImportFormatError('JSON input must be an array of customer objects.');
        state = 'value';
        sliceStart = i + 1;
      } else {
        // state 'done'
        throw new ImportFormatError(`Unexpected text after the JSON array on line ${line}.`);
      }
    }
    if (state === 'value') element += text.slice(sliceStart);
  }
  if ((state as State) !== 'done') throw new ImportFormatError('The JSON array is not closed (the input ended early).');
}
