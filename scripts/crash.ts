// npm run test:crash [-- --kills N] [-- --database-url postgres://…/x_test]: the full crash test
// (default 25 SIGKILLs on a new SQLite file). Exits 1 on any loss.
import { runCrashTest } from '../test/crash/crash-run.js';

const at = process.argv.indexOf('--kills');
const kills = at === -1 ? 25 : Number(process.argv[at + 1]);
if (!Number.isInteger(kills) || kills < 1) {
  process.stderr.write('usage: npm run test:crash -- --kills <n>\n');
  process.exit(2);
}
const urlAt = process.argv.indexOf('--database-url');
const databaseUrl = urlAt === -1 ? undefined : process.argv[urlAt + 1];
if (databaseUrl !== undefined && !/test/i.test(databaseUrl)) {
  process.stderr.write('refusing a database URL without "test" in it\n');
  process.exit(2);
}
const started = Date.now();
const report = await runCrashTest({ kills, databaseUrl, log: (line) => process.stdout.write(line + '\n') });
process.stdout.write(
  `\n${report.kills} SIGKILLs, ${report.acknowledged} acknowledged customers, ${report.unanswered} requests cut off by kills, ` +
    `${report.lost.length} lost, ${report.regressed.length} counters behind, integrity_check: ${report.integrity} ` +
    `(${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
);
if (report.lost.length > 0 || report.regressed.length > 0 || report.integrity !== 'ok') {
  process.stdout.write(`lost: ${report.lost.slice(0, 20).join(', ')}\nbehind: ${report.regressed.slice(0, 20).join(', ')}\n`);
  process.exit(1);
}
