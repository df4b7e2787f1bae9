// Import progress on stderr: a live bar on a terminal, a plain line now and then otherwise
// (logs, CI), so stdout stays free for the summary.
import type { ImportStats } from '../import/run-import.js';

export interface ProgressOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Input size in bytes when known (a file), for the percentage and the ETA. */
  totalBytes?: number;
  /** Milliseconds between plain lines when not on a terminal. */
  intervalMs: number;
  quiet: boolean;
  now?: () => number;
}

export interface Progress {
  update(stats: ImportStats): void;
  finish(): void;
}

const count = (n: number) => n.toLocaleString('en-US');

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const tty = options.stream.isTTY === true;
  let last = started;
  let drawn = false;

  function describe(stats: ImportStats): { fraction: number | null; text: string } {
    const elapsed = (now() - started) / 1000;
    const rate = elapsed > 0 ? stats.rows / elapsed : 0;
    const fraction = options.totalBytes ? Math.min(1, stats.bytes / options.totalBytes) : null;
    const eta = fraction && fraction > 0 ? duration((elapsed * (1 - fraction)) / fraction) : null;
    const parts = [
      `${count(stats.rows)} rows`,
      `${count(Math.round(rate))} rows/s`,
      ...(fraction === null ? [] : [`${Math.floor(fraction * 100)}%`]),
      ...(eta === null ? [] : [`ETA ${eta}`]),
      `${count(stats.rejected)} rejected`,
    ];
    return { fraction, text: parts.join(' · ') };
  }

  return {
    update(stats) {
      if (options.quiet) return;
      const t = now();
      if (tty) {
        if (t - last < 100 && drawn) return;
        last = t;
        const { fraction, text } = describe(stats);
        const width = 24;
        const bar = fraction === null ? '' : `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '-')}] `;
        options.stream.write(`\r${bar}${text}\x1b[K`);
        drawn = true;
      } else if (t - last >= options.intervalMs) {
        last = t;
        options.stream.write(`import: ${describe(stats).text}\n`);
      }
    },
    finish() {
      if (tty && drawn) options.stream.write('\r\x1b[K');
    },
  };
}
