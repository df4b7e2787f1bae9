// Realistic identify bodies, the same for every server under test: distinct customers with a
// name, an email, an E.164 phone, a sign-up date and a handful of custom attributes.
import type { CustomerChanges } from '../src/customers/merge.js';

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Radia', 'Linus'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Perlman', 'Torvalds'];
const PLANS = ['free', 'starter', 'pro', 'enterprise'];

export interface CustomerBody {
  user_id: string;
  email: string;
  name: string;
  phone: string;
  signed_up_at: number;
  custom_attributes: Record<string, string | number | boolean>;
}

/** The i-th customer of a run; `run` keeps user_ids distinct across runs on one database. */
export function customerBody(run: string, i: number): CustomerBody {
  const first = FIRST[i % FIRST.length] as string;
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length] as string;
  return {
    user_id: `${run}-${i}`,
    email: `${first}.${last}.${i}@example.com`.toLowerCase(),
    name: `${first} ${last}`,
    // +1 415 2xx xxxx: possible US numbers, all distinct up to 10^7 customers.
    phone: `+1415${String(2_000_000 + i).padStart(7, '0')}`,
    signed_up_at: 1_585_775_554 + i,
    custom_attributes: {
      plan: PLANS[i % PLANS.length] as string,
      seats: (i % 50) + 1,
      trial: i % 3 === 0,
      company: `Company ${i % 997}`,
      signup_source: i % 2 === 0 ? 'organic' : 'ads',
    },
  };
}

/** What the service hands the store for that body (already validated and normalised). */
export function customerChanges(body: CustomerBody): CustomerChanges {
  const [firstName, lastName] = body.name.split(' ');
  return {
    userId: body.user_id,
    email: body.email,
    firstName,
    lastName,
    phone: body.phone,
    signedUpAt: body.signed_up_at,
    attributes: body.custom_attributes,
    updateSession: true,
  };
}
