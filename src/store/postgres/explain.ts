// Operator tooling for `npm run explain`: fills a project with generated customers and shows
// PostgreSQL's plan for each query the store runs (the very query texts the store uses).
import pg from 'pg';
import { BY_USER_ID, LOCK_IDENTITIES, listQuery } from './postgres-store.js';

export interface Plan {
  title: string;
  plan: string;
  sequentialScan: boolean;
}

/** Customers in a project (the generator tops up to the wanted number). */
export async function countCustomers(client: pg.ClientBase, projectId: number): Promise<number> {
  const result = await client.query<{ n: string }>('SELECT count(*) AS n FROM customers WHERE project_id = $1', [projectId]);
  return Number(result.rows[0]?.n ?? 0);
}

/**
 * Generated customers numbered `from`..`to`: one in five email-only, names from a small set
 * (so searches for a first name match many rows), a few attributes each.
 */
export async function generateCustomers(client: pg.ClientBase, input: { projectId: number; from: number; to: number }): Promise<void> {
  await client.query(
    `INSERT INTO customers (project_id, user_id, email, email_lower, first_name, last_name, phone, signed_up_at, ip,
       custom_attributes, first_seen, last_seen, sessions, updated_at)
     SELECT $1,
       CASE WHEN n % 5 = 0 THEN NULL ELSE 'user-' || n END,
       'Person' || n || '@example' || (n % 97) || '.com',
       'person' || n || '@example' || (n % 97) || '.com',
       (ARRAY['Ada', 'Grace', 'Alan', 'Billy', 'Zoë', 'Linus', 'Barbara', 'Edsger'])[1 + n % 8],
       (ARRAY['Lovelace', 'Hopper', 'Turing', 'Madison', 'Torvalds', 'Liskov', 'Dijkstra'])[1 + n % 7] || (n % 1000),
       '+1555' || lpad((n % 10000000)::text, 7, '0'),
       1585775554 + n % 100000000,
       '10.' || (n % 256) || '.' || (n / 256 % 256) || '.1',
       jsonb_build_object('plan', (ARRAY['free', 'pro', 'team'])[1 + n % 3], 'seats', n % 50, 'paid', n % 2 = 0),
       1700000000 + n, 1700000000 + n, 1 + n % 5, 1700000000 + n
     FROM generate_series($2::bigint, $3::bigint) AS n`,
    [input.projectId, input.from, input.to],
  );
}

export async function analyze(client: pg.ClientBase): Promise<void> {
  await client.query('ANALYZE customers');
}

async function explain(client: pg.ClientBase, text: string, values: unknown[]): Promise<string> {
  const result = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF) ${text}`, values);
  return result.rows.map((row) => row['QUERY PLAN']).join('\n');
}

/** Plans for every customer query, on a project holding `size` generated customers. */
export async function explainCustomerQueries(client: pg.ClientBase, input: { projectId: number; size: number }): Promise<Plan[]> {
  const { projectId, size } = input;
  const middle = Math.floor(size / 2) + 1; // not divisible by 5: has a user_id
  const email = `person${middle}@example${middle % 97}.com`;
  const ids = await client.query<{ lo: string; hi: string }>('SELECT min(id) AS lo, max(id) AS hi FROM customers WHERE project_id = $1', [projectId]);
  const deepCursor = Number(ids.rows[0]?.lo ?? 0) + 1_000; // the last pages of a newest-first walk
  const plans: { title: string; text: string; values: unknown[]; lock?: boolean }[] = [
    { title: 'GET /customers/{user_id}: lookup by user_id', text: BY_USER_ID, values: [projectId, `user-${middle}`] },
    {
      title: 'POST /customers: lock the profiles an identify call names (user_id, lower(email), anonymous_id)',
      text: LOCK_IDENTITIES,
      values: [projectId, [`user-${middle}`], [email], [], [1]],
      lock: true,
    },
    { title: 'GET /customers?email=: lookup by lower(email)', ...listQuery(projectId, { email: email.toUpperCase(), limit: 51 }) },
    { title: 'GET /customers: first page, newest first', ...listQuery(projectId, { limit: 51 }) },
    { title: 'GET /customers?cursor=: a page deep in the list', ...listQuery(projectId, { beforeId: deepCursor, limit: 51 }) },
    { title: 'GET /customers?q=person12345: search, few matches (trigram indexes)', ...listQuery(projectId, { q: 'person12345', limit: 51 }) },
    { title: 'GET /customers?q=grace: search, many matches (newest-first walk stops at the page)', ...listQuery(projectId, { q: 'grace', limit: 51 }) },
  ];
  const out: Plan[] = [];
  for (const plan of plans) {
    // FOR UPDATE takes row locks: explain it inside a transaction that is rolled back.
    if (plan.lock) await client.query('BEGIN');
    try {
      const text = await explain(client, plan.text, plan.values);
      out.push({ title: plan.title, plan: text, sequentialScan: /Seq Scan/.test(text) });
    } finally {
      if (plan.lock) await client.query('ROLLBACK');
    }
  }
  return out;
}
