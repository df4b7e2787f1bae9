// The import pipeline: read records → map → the customer service in batches (one transaction
// each) → rejected rows to a sink. Pull-based from end to end, so a slow database slows the
// reader instead of filling memory.
import type { CustomerService } from '../customers/identify.js';
import { normaliseCustomer } from '../customers/normalise.js';
import type { Limits } from '../config.js';
import type { FieldError } from '../errors.js';
import type { Project } from '../store/store.js';
import { ImportFormatError, peek, readRecords, detectFormat, type ImportFormat, type SourceItem } from './formats.js';
import { createMapper, targetOf, type MappingOptions } from './mapping.js';

/** One rejected row as written to the rejects file. */
export interface Reject {
  line: number;
  errors: FieldError[];
  record?: unknown;
}

export interface RejectSink {
  write(reject: Reject): Promise<void>;
}

export interface ImportStats {
  format: ImportFormat;
  /** Rows read (accepted + rejected). */
  rows: number;
  accepted: number;
  rejected: number;
  /** Input bytes consumed so far. */
  bytes: number;
}

export interface ImportOptions {
  service: CustomerService;
  project: Project;
  limits: Limits;
  chunks: AsyncIterable<Buffer>;
  /** File name, used to detect the format; none for stdin. */
  name?: string;
  format?: ImportFormat;
  mapping: MappingOptions;
  dryRun: boolean;
  /** Rows per transaction. */
  batchSize: number;
  rejects: RejectSink;
  /**
   * Read and validate the next batch while the store writes the previous one. Only for stores
   * that apply batches strictly in the order they receive them (SQLite: one writer thread).
   */
  overlap?: boolean;
  /** Called after every batch. */
  onProgress?: (stats: ImportStats) => void;
}

/** A row waiting for its batch: an identify call, or a reject found before the service saw it. */
type Pending = { line: number; record: unknown } & ({ input: Record<string, unknown> } | { errors: FieldError[] });

export async function runImport(options: ImportOptions): Promise<ImportStats> {
  const stats: ImportStats = { format: options.format ?? 'csv', rows: 0, accepted: 0, rejected: 0, bytes: 0 };
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of options.chunks) {
      stats.bytes += chunk.length;
      yield chunk;
    }
  }
  const { head, chunks } = await peek(counted());
  stats.format = options.format ?? detectFormat({ name: options.name, head });

  let batch: Pending[] = [];
  // The previous batch: validated and handed to the store, possibly still being written.
  let previous: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (batch.length === 0) return;
    const current = batch;
    batch = [];
    const calls: Pending[] = current.filter((pending) => 'input' in pending);
    // Validation runs now; the write is queued behind the previous batch's.
    const submitted = options.service.identifyEach(
      options.project,
      calls.map((pending) => ('input' in pending ? pending.input : null)),
      { dryRun: options.dryRun },
    );
    submitted.catch(() => {}); // reported through `done` below
    const report = async (result: Awaited<typeof submitted>) => {
      stats.accepted += result.accepted;
      const rejectedCalls = new Map<Pending, FieldError[]>();
      for (const rejection of result.rejected) rejectedCalls.set(calls[rejection.index] as Pending, rejection.errors);
      // Rejects go out in input order, whichever stage caught them.
      for (const pending of current) {
        const errors = 'errors' in pending ? pending.errors : rejectedCalls.get(pending);
        if (!errors) continue;
        stats.rejected += 1;
        await options.rejects.write({ line: pending.line, errors, record: pending.record });
      }
      options.onProgress?.(stats);
    };
    const done = previous.then(() => submitted).then(report);
    done.catch(() => {}); // awaited by the next flush or at the end
    const before = previous;
    previous = done;
    // With `overlap`, the reader goes on to the next batch while this one is written (the
    // store applies batches in the order they were handed to it); memory holds two batches.
    await (options.overlap ? before : done);
  };
  const mapRecord = createMapper(options.mapping);
  let checkedColumns = false;
  for await (const item of readRecords(stats.format, chunks) as AsyncGenerator<SourceItem>) {
    stats.rows += 1;
    if ('error' in item) {
      batch.push({ line: item.line, errors: [{ field: 'record', message: item.error }], record: item.raw });
    } else {
      if (item.text && !checkedColumns) {
        checkColumns(Object.keys(item.record), options);
        checkedColumns = true;
      }
      const mapped = mapRecord(item.record, item.text);
      batch.push(
        mapped.ok
          ? { line: item.line, input: mapped.input, record: item.record }
          : { line: item.line, errors: mapped.errors, record: item.record },
      );
    }
    if (batch.length >= options.batchSize) await flush();
  }
  await flush();
  await previous;
  options.onProgress?.(stats);
  return stats;
}

/**
 * A CSV header is the same for every row: a column that can never be a custom attribute would
 * reject every row, so stop before writing anything. The customer rules decide what a valid
 * key is (no second copy of them here).
 */
function checkColumns(columns: string[], options: ImportOptions): void {
  const keys: Record<string, string> = Object.create(null);
  const columnOfKey = new Map<string, string>();
  for (const column of columns) {
    const target = targetOf(column, options.mapping);
    if (target.kind === 'attribute') {
      keys[target.key] = 'x';
      columnOfKey.set(target.key, column);
    }
  }
  const probe = normaliseCustomer({ user_id: 'header', custom_attributes: keys }, { limits: options.limits });
  if (probe.ok) return;
  const bad = probe.errors
    .map((error) => {
      const key = error.field.startsWith('custom_attributes.') ? error.field.slice('custom_attributes.'.length) : null;
      const column = key === null ? null : columnOfKey.get(key);
      return column ? `"${column}" (${error.message})` : `${error.field} ${error.message}`;
    })
    .join('; ');
  throw new ImportFormatError(
    `These columns cannot become custom attributes: ${bad}. Rename them with --map "COLUMN=new_name" or drop them with --skip COLUMN.`,
  );
}
