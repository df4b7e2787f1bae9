// `beacon import FILE`: customers from CSV, NDJSON or a JSON array (or stdin) through the
// same customer service as the API, in batches of one transaction each.
import { once } from 'node:events';
import { createReadStream, createWriteStream, rmSync, statSync, type WriteStream } from 'node:fs';
import { basename } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { IMPORT_FORMATS, type ImportFormat } from '../import/formats.js';
import { parseColumnList, parseRenames } from '../import/mapping.js';
import { runImport, type Reject, type RejectSink } from '../import/run-import.js';
import { collect, CliError, resolveProject, withContext } from './context.js';
import { createProgress } from './progress.js';

interface ImportCliOptions {
  project: string;
  format?: ImportFormat;
  map: string[];
  skip: string[];
  dates: string[];
  updateSession?: boolean;
  dryRun?: boolean;
  rejects?: string;
  batchSize: number;
  progressInterval: number;
  quiet?: boolean;
  json?: boolean;
}

/** Exit status when the import finished but some rows were rejected. */
export const EXIT_SOME_REJECTED = 2;

function parseFormat(value: string): ImportFormat {
  if (!IMPORT_FORMATS.includes(value as ImportFormat)) throw new InvalidArgumentError(`use one of ${IMPORT_FORMATS.join(', ')}`);
  return value as ImportFormat;
}

function positiveInteger(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`use an integer from 1 to ${max}`);
    return n;
  };
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('use a number of seconds ≥ 0');
  return n;
}

/** Writes rejected rows as NDJSON, creating the file only when the first one arrives. */
function rejectsFile(path: string): RejectSink & { count: number; close(): Promise<void> } {
  let out: WriteStream | null = null;
  let failed: Error | null = null;
  return {
    count: 0,
    async write(reject: Reject) {
      if (failed) throw failed;
      if (!out) {
        out = createWriteStream(path, { flags: 'w' });
        out.on('error', (error) => (failed = error));
      }
      this.count += 1;
      if (!out.write(JSON.stringify(reject) + '\n')) await once(out, 'drain');
    },
    async close() {
      if (!out) return;
      const stream = out as WriteStream;
      await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
      if (failed) throw failed;
    },
  };
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('import customers from a CSV (header row), NDJSON or JSON-array file, or "-" for stdin')
    .argument('<file>', 'file to read, or - for stdin')
    .option('--project <name>', 'project to import into', 'default')
    .option('--format <format>', `${IMPORT_FORMATS.join(' | ')} (default: from the file name, else sniffed)`, parseFormat)
    .option('--map <column=field>', 'rename a column to a standard field or attribute key (repeatable)', collect, [])
    .option('--skip <columns>', 'drop columns, comma-separated (repeatable)', collect, [])
    .option('--dates <columns>', 'columns holding ISO 8601 dates, stored as UNIX seconds (comma-separated, repeatable)', collect, [])
    .option('--update-session', 'count the import as activity (Last Seen, Sessions); off by default')
    .option('--dry-run', 'validate every row, store nothing')
    .option('--rejects <file>', 'where rejected rows go (default: FILE.rejects.ndjson, or stdin.rejects.ndjson)')
    .option('--batch-size <rows>', 'rows per transaction', positiveInteger(100_000), 1000)
    .option('--progress-interval <seconds>', 'seconds between progress lines when not on a terminal', seconds, 5)
    .option('--quiet', 'no progress output')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Columns user_id, email, name, first_name, last_name, phone, signed_up_at and ip are the standard
fields; every other column becomes a custom attribute. CSV cells are typed: true/false become
booleans, plain numbers become numbers, empty cells keep the stored value. id, anonymous_id, first_seen,
last_seen, sessions and updated_at (as written by beacon export) are ignored.

Rows that fail validation are written with their line number and reasons to the rejects file;
the rest are stored. Re-running an import is harmless.

Exit status: 0 all rows stored, ${EXIT_SOME_REJECTED} finished with rejected rows, 1 failed.

Examples:
  beacon import customers.csv --project shop --map "Plan Name=plan" --skip notes --dates trial_ends
  cat customers.ndjson | beacon import - --project shop`,
    )
    .action(async (file: string, options: ImportCliOptions, command: Command) => {
      const fromStdin = file === '-';
      let totalBytes: number | undefined;
      if (!fromStdin) {
        try {
          const stat = statSync(file);
          if (!stat.isFile()) throw new CliError(`${file} is not a file.`);
          totalBytes = stat.size;
        } catch (error) {
          if (error instanceof CliError) throw error;
          throw new CliError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
        }
      }
      const mapping = {
        rename: parseRenames(options.map),
        skip: parseColumnList(options.skip),
        dates: parseColumnList(options.dates),
        updateSession: options.updateSession === true,
      };
      const rejectsPath = options.rejects ?? `${fromStdin ? 'stdin' : file}.rejects.ndjson`;
      // A rejects file from an earlier run would be mistaken for this run's.
      rmSync(rejectsPath, { force: true });

      await withContext(command, async (context) => {
        const project = await resolveProject(context, options.project);
        const input = fromStdin ? process.stdin : createReadStream(file, { highWaterMark: 256 * 1024 });
        const rejects = rejectsFile(rejectsPath);
        const progress = createProgress({
          stream: process.stderr,
          totalBytes,
          intervalMs: options.progressInterval * 1000,
          quiet: options.quiet === true || options.json === true,
        });
        const started = performance.now();
        let stats;
        try {
          stats = await runImport({
            service: context.customers,
            project,
            limits: context.config.limits,
            chunks: input as AsyncIterable<Buffer>,
            name: fromStdin ? undefined : basename(file),
            format: options.format,
            mapping,
            dryRun: options.dryRun === true,
            batchSize: options.batchSize,
            overlap: context.store.engine === 'sqlite',
            rejects,
            onProgress: (current) => progress.update(current),
          });
        } finally {
          progress.finish();
          await rejects.close();
          if (!fromStdin) (input as ReturnType<typeof createReadStream>).destroy();
        }
        const seconds = (performance.now() - started) / 1000;
        const summary = {
          file: fromStdin ? '-' : file,
          project: project.name,
          format: stats.format,
          dry_run: options.dryRun === true,
          rows: stats.rows,
          valid: stats.accepted,
          stored: options.dryRun ? 0 : stats.accepted,
          rejected: stats.rejected,
          rejects_file: stats.rejected > 0 ? rejectsPath : null,
          seconds: Math.round(seconds * 1000) / 1000,
          rows_per_second: seconds > 0 ? Math.round(stats.rows / seconds) : stats.rows,
          peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
        };
        if (options.json) {
          process.stdout.write(JSON.stringify(summary) + '\n');
        } else {
          const verb = options.dryRun ? 'valid (dry run: nothing stored)' : 'stored';
          const lines = [
            `Imported ${stats.rows.toLocaleString('en-US')} rows into "${project.name}" in ${summary.seconds}s (${summary.rows_per_second.toLocaleString('en-US')} rows/s, peak memory ${summary.peak_rss_mb} MB): ${stats.accepted.toLocaleString('en-US')} ${verb}, ${stats.rejected.toLocaleString('en-US')} rejected.`,
          ];
          if (stats.rejected > 0) lines.push(`Rejected rows, with line numbers and reasons: ${rejectsPath}`);
          process.stdout.write(lines.join('\n') + '\n');
        }
        if (stats.rejected > 0) process.exitCode = EXIT_SOME_REJECTED;
      });
    });
}
