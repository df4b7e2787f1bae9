// Streaming readers for the import formats: CSV with a header row, NDJSON and a JSON array.
// Each turns a stream of bytes into records (or per-record errors) with the line they start on,
// pulling input only as fast as records are consumed, so memory stays flat on any file size.
import { StringDecoder } from 'node:string_decoder';

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

/** Why a CSV record cannot be read; the record is skipped and reported, the rest still read. */
const UNCLOSED_QUOTE = 'is not valid CSV: a quoted field is not closed (the input ended inside quotes)';
const TEXT_AFTER_QUOTE = 'is not valid CSV: a quoted field must be followed by a comma or the end of the line';
const QUOTE_INSIDE = 'is not valid CSV: a quote inside an unquoted field (quote the whole field and double the quote: "a ""b""")';

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;

/**
 * CSV with a header row (RFC 4180). Cells stay strings (`text: true`); quoted commas, quotes
 * and newlines, CRLF, LF or CR line ends and a BOM are handled. Records are parsed one at a time
 * straight from the decoded text as they are pulled, so nothing is read ahead of the consumer
 * beyond one chunk, and a malformed record is reported with its line and skipped.
 */
export async function* readCsv(chunks: AsyncIterable<Buffer>): AsyncGenerator<SourceItem> {
  const decoder = new StringDecoder('utf8');
  const source = chunks[Symbol.asyncIterator]();
  let text = '';
  let pos = 0;
  let ended = false;
  let line = 1;
  let first = true;

  // The record parsed by parseRecord: its fields (or why it is unreadable), where it ends and
  // how many line breaks it spans.
  let fields: string[] = [];
  let error: string | null = null;
  let end = 0;
  let breaks = 0;

  /** Parses the record at `pos`; false when the text ends before the record does (and more may come). */
  const parseRecord = (): boolean => {
    fields = [];
    error = null;
    breaks = 0;
    const length = text.length;
    let at = pos;
    for (;;) {
      // One field, starting at `at`.
      if (at < length && text.charCodeAt(at) === QUOTE) {
        let value = '';
        let from = at + 1;
        for (;;) {
          const close = text.indexOf('"', from);
          if (close === -1) {
            if (!ended) return false;
            error = UNCLOSED_QUOTE;
            breaks += countBreaks(text, at, length);
            end = length;
            return true;
          }
          if (close + 1 >= length && !ended) return false; // is it "" or the end of the field?
          if (text.charCodeAt(close + 1) === QUOTE) {
            value += text.slice(from, close + 1);
            from = close + 2;
            continue;
          }
          value += text.slice(from, close);
          breaks += countBreaks(text, at, close);
          at = close + 1;
          break;
        }
        fields.push(value);
        const next = at < length ? text.charCodeAt(at) : -1;
        if (next === COMMA) {
          at += 1;
          continue;
        }
        if (next === -1 || next === LF || next === CR) return endRecord(at);
        // Text after the closing quote: skip the rest of the line.
        error = TEXT_AFTER_QUOTE;
        return skipLine(at);
      }
      let i = at;
      let c = -1;
      while (i < length) {
        c = text.charCodeAt(i);
        if (c === COMMA || c === LF || c === CR || c === QUOTE) break;
        i += 1;
      }
      if (i >= length) {
        if (!ended) return false;
        fields.push(text.slice(at, i));
        return endRecord(i);
      }
      if (c === QUOTE) {
        error = QUOTE_INSIDE;
        return skipLine(i);
      }
      fields.push(text.slice(at, i));
      if (c === COMMA) {
        at = i + 1;
        continue;
      }
      return endRecord(i);
    }
  };
  /** The record ends at `at` (a line break, or the end of the input): step over the break. */
  const endRecord = (at: number): boolean => {
    if (at >= text.length) {
      end = at;
      return true;
    }
    if (text.charCodeAt(at) === CR) {
      if (at + 1 >= text.length && !ended) return false; // CR, or the first half of CRLF?
      end = text.charCodeAt(at + 1) === LF ? at + 2 : at + 1;
    } else {
      end = at + 1;
    }
    breaks += 1;
    return true;
  };
  /** An unreadable record: it ends at the next line break. */
  const skipLine = (at: number): boolean => {
    let i = at;
    while (i < text.length && text.charCodeAt(i) !== LF && text.charCodeAt(i) !== CR) i += 1;
    if (i >= text.length && !ended) return false;
    breaks = countBreaks(text, pos, at); // every break so far, quoted ones included
    return endRecord(i);
  };

  /** More text, at least doubling what is unparsed so a long record is not rescanned chunk by chunk. */
  const more = async (): Promise<void> => {
    const want = 2 * (text.length - pos) + 1;
    let added = '';
    while (!ended && added.length < want) {
      const next = await source.next();
      if (next.done) {
        added += decoder.end();
        ended = true;
      } else {
        added += decoder.write(next.value);
      }
    }
    text = text.slice(pos) + added;
    pos = 0;
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === BOM) text = text.slice(1);
      first = false;
    }
  };

  let header: string[] | null = null;
  let safeKeys = true;
  try {
    for (;;) {
      if (pos >= text.length) {
        if (ended) return;
        await more();
        continue;
      }
      if (!parseRecord()) {
        await more();
        continue;
      }
      const recordLine = line;
      const raw = text.slice(pos, end);
      line += breaks;
      pos = end;
      if (error !== null) {
        yield { line: recordLine, error, raw: trimBreak(raw) };
        continue;
      }
      if (fields.length === 1 && fields[0] === '') continue; // a blank line
      if (header === null) {
        header = fields.map((name) => name.trim());
        checkHeader(header);
        safeKeys = !header.includes('__proto__');
        continue;
      }
      if (fields.length !== header.length) {
        yield { line: recordLine, error: `has ${fields.length} fields; the header has ${header.length}`, raw: fields };
        continue;
      }
      // A plain object (all rows share one shape, cheap to build and read) unless a column is
      // named __proto__, which only a null-prototype object keeps as an ordinary key.
      const row: Record<string, unknown> = safeKeys ? {} : Object.create(null);
      for (let i = 0; i < header.length; i += 1) row[header[i] as string] = fields[i];
      yield { line: recordLine, record: row, text: true };
    }
  } finally {
    await source.return?.();
  }
}

/** Line breaks (CRLF, LF or CR each count one) in text[from, to). */
function countBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i += 1) {
    const c = text.charCodeAt(i);
    if (c === LF) count += 1;
    else if (c === CR && text.charCodeAt(i + 1) !== LF) count += 1;
  }
  return count;
}

function trimBreak(raw: string): string {
  return raw.replace(/\r?\n$|\r$/, '');
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
