// `npm run explain`: a project with a million generated customers (by default) in a database
// of its own, then PostgreSQL's plan for every customer query, printed as Markdown.
//   EXPLAIN_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/beacon_explain_test
//   EXPLAIN_CUSTOMERS     default 1000000
// The database is created when missing and kept, so a second run only explains.
import pg from 'pg';
import { analyze, countCustomers, explainCustomerQueries, generateCustomers } from '../src/store/postgres/explain.js';
import { openStore } from '../src/store/open-store.js';

const url = process.env.EXPLAIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/beacon_explain_test';
const wanted = Number(process.env.EXPLAIN_CUSTOMERS ?? 1_000_000);
const CHUNK = 50_000;

async function ensureDatabase(): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  await ensureDatabase();
  const store = await openStore(url, { poolSize: 1, timeoutMs: 600_000 });
  const project = (await store.projects.findByName('explain')) ?? (await store.projects.create({ name: 'explain', now: 1_700_000_000 }));
  // A second, smaller project: plans must pick the per-project indexes, not walk everyone.
  const other = (await store.projects.findByName('explain-other')) ?? (await store.projects.create({ name: 'explain-other', now: 1_700_000_000 }));
  await store.close();

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const started = Date.now();
    const fill = async (projectId: number, size: number) => {
      let count = await countCustomers(client, projectId);
      while (count < size) {
        const to = Math.min(size, count + CHUNK);
        await generateCustomers(client, { projectId, from: count + 1, to });
        count = to;
        process.stderr.write(`project ${projectId}: ${count} / ${size} customers (${Math.round((Date.now() - started) / 1000)} s)\n`);
      }
      return count;
    };
    await fill(other.id, Math.floor(wanted / 4));
    const have = await fill(project.id, wanted);
    await analyze(client);
    const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
    console.log(`Plans on PostgreSQL ${version}, project with ${have.toLocaleString('en-US')} customers (EXPLAIN ANALYZE, costs off):\n`);
    for (const plan of await explainCustomerQueries(client, { projectId: project.id, size: have })) {
      console.log(`### ${plan.title}\n\n\`\`\`\n${plan.plan}\n\`\`\`\n${plan.sequentialScan ? '**sequential scan**' : 'no sequential scan'}\n`);
    }
  } finally {
    await client.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
