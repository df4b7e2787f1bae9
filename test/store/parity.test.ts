// The same request sequence gives the same profiles on every store: a seeded random mix of
// single and batched identify calls (shared user_ids, anonymous ids and emails in varying case,
// attribute sets and removals of every type, session on/off, repeated message ids, clock jumps)
// replayed on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { createCustomerService } from '../../src/customers/identify.js';
import type { CustomerChanges } from '../../src/customers/merge.js';
import { normaliseCustomer } from '../../src/customers/normalise.js';
import type { Profile } from '../../src/customers/schemas.js';
import type { Store } from '../../src/store/store.js';
import { seededRandom } from '../support/random.js';
import { storeFactories, uniqueName } from '../support/stores.js';

const factories = await storeFactories('store parity');
const postgresMissing = factories.some((factory) => factory.unavailable !== null);

const random = seededRandom;

const USER_IDS = ['u1', 'u2', 'u3', 'U1', '42', 'u6'];
const EMAILS = ['a@x.io', 'A@X.io', 'b@x.io', 'c@y.io', 'B@x.IO'];
const ANONYMOUS_IDS = ['anon-1', 'anon-2', 'anon-3'];
const MESSAGE_IDS = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8'];
const KEYS = ['plan', 'seats', 'beta', 'score', 'note'];
const VALUES = ['pro', 'free', '', '7', 3, 0, -2.5, 1e21, true, false, null];

/** Who the calls name, and how the clock moves between steps. */
interface Shape {
  userIds: readonly string[];
  emails: readonly string[];
  advances: readonly number[];
  /** Share of steps that are batches, and their largest size. */
  batches: number;
  maxBatch: number;
}

const MIXED: Shape = { userIds: USER_IDS, emails: EMAILS, advances: [0, 1, 600, 1800, 1801, 4000], batches: 0.25, maxBatch: 9 };
/**
 * Many profiles on two addresses, and a clock that sometimes steps back (another server's):
 * PostgreSQL reads only an email's most recently seen few profiles per batch (resolve-batch.ts
 * says how many), SQLite two per call. Reading a flat two per batch on PostgreSQL fails seed 11;
 * the finer cases of the bound have their own tests in contract.test.ts.
 */
const CROWDED: Shape = {
  userIds: Array.from({ length: 40 }, (_, i) => `c${i}`),
  emails: ['team@x.io', 'TEAM@x.io', 'home@y.io'],
  advances: [0, 1, 60, -30, -600, 1801],
  batches: 0.6,
  maxBatch: 16,
};

function randomCall(rng: ReturnType<typeof random>, shape: Shape): Record<string, unknown> {
  const call: Record<string, unknown> = {};
  const hasUser = rng.chance(0.6);
  if (hasUser) call.user_id = rng.pick(shape.userIds);
  if (rng.chance(0.3)) call.anonymous_id = rng.pick(ANONYMOUS_IDS);
  if ((!hasUser && call.anonymous_id === undefined) || rng.chance(0.5)) call.email = rng.pick(shape.emails);
  if (rng.chance(0.3)) call.message_id = rng.pick(MESSAGE_IDS);
  if (rng.chance(0.3)) call.name = rng.pick(['Ada Lovelace', 'Grace', 'Alan M Turing', null]);
  if (rng.chance(0.2)) call.last_name = rng.pick(['Hopper', null]);
  if (rng.chance(0.2)) call.ip = rng.pick(['10.1.2.3', '::1', null]);
  if (rng.chance(0.15)) call.phone = rng.pick(['+15555555555', null]);
  if (rng.chance(0.15)) call.signed_up_at = rng.pick([1585775554, 0, null]);
  if (rng.chance(0.7)) {
    const attributes: Record<string, unknown> = {};
    for (let i = 0; i < 1 + Math.floor(rng.next() * 3); i += 1) attributes[rng.pick(KEYS)] = rng.pick(VALUES);
    call.custom_attributes = attributes;
  }
  if (rng.chance(0.2)) call.update_session = false;
  return call;
}

type Step = { advance: number; calls: Record<string, unknown>[] };

function script(seed: number, length: number, shape: Shape = MIXED): Step[] {
  const rng = random(seed);
  return Array.from({ length }, () => {
    const advance = rng.pick(shape.advances);
    if (rng.chance(shape.batches)) return { advance, calls: Array.from({ length: 2 + Math.floor(rng.next() * (shape.maxBatch - 1)) }, () => randomCall(rng, shape)) };
    return { advance, calls: [randomCall(rng, shape)] };
  });
}

/** Straight to the store (as the Segment ingest does): anonymous ids and message ids included. */
async function replay(store: Store, steps: readonly Step[]): Promise<{ profiles: Omit<Profile, 'id'>[]; duplicates: number[] }> {
  const clock = manualClock(1_700_000_000);
  const project = await store.projects.create({ name: uniqueName('parity'), now: clock.now() });
  const customers = createCustomerService({ store, clock, limits: DEFAULT_LIMITS, sessionTimeout: 1800 });
  const duplicates: number[] = [];
  for (const step of steps) {
    clock.advance(step.advance);
    const items: CustomerChanges[] = [];
    const messageIds: (string | undefined)[] = [];
    for (const call of step.calls) {
      const result = normaliseCustomer(call, { limits: DEFAULT_LIMITS, identityOptional: true });
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      items.push(call.anonymous_id === undefined ? result.value : { ...result.value, anonymousId: call.anonymous_id as string });
      messageIds.push(call.message_id as string | undefined);
    }
    const outcome = await store.customers.identify({
      projectId: project.id,
      items,
      now: clock.now(),
      sessionTimeout: 1800,
      messageIds,
      dedupeSeconds: 3600,
    });
    duplicates.push(outcome.duplicates);
  }
  const page = await customers.list(project, { limit: 1000 });
  // Ids differ between databases (PostgreSQL's sequence is shared by every project); the order must not.
  return { profiles: page.customers.map(({ id: _id, ...rest }) => rest), duplicates };
}

describe.skipIf(postgresMissing)('store parity: SQLite and PostgreSQL', () => {
  const stores: { name: string; store: Store; dispose(): Promise<void> }[] = [];
  beforeAll(async () => {
    for (const factory of factories) stores.push({ name: factory.name, ...(await factory.open()) });
  });
  afterAll(async () => {
    for (const { dispose } of stores) await dispose();
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`seed ${seed}: 120 random calls end in the same profiles, in the same order`, async () => {
      const steps = script(seed, 120);
      const results = [];
      for (const { store } of stores) results.push(await replay(store, steps));
      const [sqlite, postgres] = results;
      expect(sqlite?.profiles.length).toBeGreaterThan(3);
      expect(sqlite?.duplicates.some((n) => n > 0)).toBe(true);
      expect(postgres).toEqual(sqlite);
    });
  }

  for (const seed of [11, 12, 13, 14, 15]) {
    it(`seed ${seed}: 200 calls crowding 40 users onto two addresses, clock stepping back, end the same`, async () => {
      const steps = script(seed, 200, CROWDED);
      const results = [];
      for (const { store } of stores) results.push(await replay(store, steps));
      const [sqlite, postgres] = results;
      // Crowded enough that the bound matters: more profiles on one address than any bound reads.
      const onTeam = sqlite?.profiles.filter((p) => p.email?.toLowerCase() === 'team@x.io').length ?? 0;
      expect(onTeam).toBeGreaterThan(12);
      expect(postgres).toEqual(sqlite);
    });
  }
});
