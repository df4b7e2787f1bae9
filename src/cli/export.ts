// `beacon export`: every profile of a project, streamed as NDJSON or CSV in keyset pages.
// What it writes, `beacon import` reads back into the same profiles.
import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { Profile } from '../customers/schemas.js';
import { IGNORED_FIELDS, STANDARD_FIELDS } from '../import/mapping.js';
import { resolveProject, withContext } from './context.js';

type ExportFormat = 'ndjson' | 'csv';

const CSV_FIELDS = ['user_id', 'email', 'first_name', 'last_name', 'phone', 'signed_up_at', 'ip'] as const;
const CSV_ACTIVITY = ['anonymous_id', 'first_seen', 'last_seen', 'sessions', 'updated_at', 'id'] as const;

function parseFormat(value: string): ExportFormat {
  if (value !== 'ndjson' && value !== 'csv') throw new InvalidArgumentError('use ndjson or csv');
  return value;
}

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** An attribute's column: its key, unless that would read back as a standard or ignored column. */
export function attributeColumn(key: string): string {
  return STANDARD_FIELDS.has(key) || IGNORED_FIELDS.has(key) || key === 'custom_attributes' || key.startsWith('custom_attributes.')
    ? `custom_attributes.${key}`
    : key;
}

interface Sink {
  write(text: string): Promise<void>;
  close(): Promise<void>;
  abort(): void;
}

function openSink(out: string | undefined): Sink {
  if (out === undefined || out === '-') {
    return {
      async write(text) {
        if (!process.stdout.write(text)) await once(process.stdout, 'drain');
      },
      async close() {},
      abort() {},
    };
  }
  // Written beside the target and renamed at the end: a failed export never leaves half a file.
  const partial = `${out}.partial`;
  const stream = createWriteStream(partial);
  let failed: Error | null = null;
  stream.on('error', (error) => (failed = error));
  return {
    async write(text) {
      if (failed) throw failed;
      if (!stream.write(text)) await once(stream, 'drain');
    },
    async close() {
      await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
      if (failed) throw failed;
      renameSync(partial, out);
    },
    abort() {
      stream.destroy();
      rmSync(partial, { force: true });
    },
  };
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write every profile of a project as NDJSON (default) or CSV')
    .option('--project <name>', 'project to export', 'default')
    .option('--format <format>', 'ndjson or csv (default: from --out, else ndjson)', parseFormat)
    .option('--out <file>', 'file to write (default: stdout)')
    .option('--quiet', 'no summary on stderr')
    .addHelpText(
      'after',
      `
NDJSON holds each profile exactly as GET /customers/{user_id} returns it and re-imports losslessly.
CSV has one column per standard field (no "name": it is first_name + last_name, and an empty
first_name next to it would read back differently), one per custom attribute (types are re-inferred on import),
then first_seen, last_seen, sessions, updated_at and id, which an import ignores.

Examples:
  beacon export --project shop --out shop.ndjson
  beacon export --project shop --format csv > shop.csv`,
    )
    .action(async (options: { project: string; format?: ExportFormat; out?: string; quiet?: boolean }, command: Command) => {
      const format = options.format ?? (options.out?.toLowerCase().endsWith('.csv') ? 'csv' : 'ndjson');
      await withContext(command, async (context) => {
        const project = await resolveProject(context, options.project);
        const sink = openSink(options.out);
        let exported = 0;
        try {
          if (format === 'ndjson') {
            let buffer = '';
            for await (const profile of context.customers.exportAll(project)) {
              buffer += JSON.stringify(profile) + '\n';
              exported += 1;
              if (buffer.length > 64 * 1024) {
                await sink.write(buffer);
                buffer = '';
              }
            }
            await sink.write(buffer);
          } else {
            // The header needs every attribute key: one pass to collect them, one to write.
            const keys = new Set<string>();
            for await (const profile of context.customers.exportAll(project)) {
              for (const key of Object.keys(profile.custom_attributes)) keys.add(key);
            }
            const attributeKeys = [...keys].sort();
            const header = [...CSV_FIELDS, ...attributeKeys.map(attributeColumn), ...CSV_ACTIVITY];
            let buffer = header.map(csvCell).join(',') + '\n';
            for await (const profile of context.customers.exportAll(project)) {
              const row: unknown[] = CSV_FIELDS.map((field) => profile[field as keyof Profile]);
              for (const key of attributeKeys) row.push(profile.custom_attributes[key]);
              for (const field of CSV_ACTIVITY) row.push(profile[field]);
              buffer += row.map(csvCell).join(',') + '\n';
              exported += 1;
              if (buffer.length > 64 * 1024) {
                await sink.write(buffer);
                buffer = '';
              }
            }
            await sink.write(buffer);
          }
          await sink.close();
        } catch (error) {
          sink.abort();
          throw error;
        }
        if (!options.quiet) {
          process.stderr.write(`Exported ${exported.toLocaleString('en-US')} profiles of "${project.name}" as ${format}${options.out && options.out !== '-' ? ` to ${options.out}` : ''}.\n`);
        }
      });
    });
}
