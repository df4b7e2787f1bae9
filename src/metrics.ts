// Prometheus metrics, one registry per app (tests build many apps in one process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from './store/store.js';

export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  latency: Histogram<'method' | 'route'>;
  customersWritten: Counter;
  bulkSize: Histogram;
  transactionItems: Histogram;
  rejections: Counter<'reason'>;
  rateLimited: Counter;
}

export function createMetrics(deps: { store: Store; defaultMetrics?: boolean }): Metrics {
  const registry = new Registry();
  if (deps.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'beacon_process_' });
  const { store } = deps;
  new Gauge({
    name: 'beacon_db_pool_connections',
    help: 'Database connections by state (SQLite: one connection, always idle between statements).',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const pool = store.poolStats ? store.poolStats() : { total: 1, idle: 1, waiting: 0 };
      this.set({ state: 'total' }, pool.total);
      this.set({ state: 'idle' }, pool.idle);
      this.set({ state: 'waiting' }, pool.waiting);
    },
  });
  new Gauge({
    name: 'beacon_db_up',
    help: '1 while the database answers.',
    registers: [registry],
    async collect() {
      this.set((await store.ping()) ? 1 : 0);
    },
  });
  return {
    registry,
    requests: new Counter({
      name: 'beacon_http_requests_total',
      help: 'HTTP requests by route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'beacon_http_request_duration_seconds',
      help: 'Time from request to response, by route pattern.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    customersWritten: new Counter({
      name: 'beacon_customers_written_total',
      help: 'Identify items committed to the database (created or updated profiles).',
      registers: [registry],
    }),
    bulkSize: new Histogram({
      name: 'beacon_bulk_items',
      help: 'Customers per bulk call.',
      buckets: [1, 10, 100, 500, 1_000, 2_500, 5_000, 10_000],
      registers: [registry],
    }),
    transactionItems: new Histogram({
      name: 'beacon_identify_transaction_items',
      help: 'Identify items per committed store transaction (group commit joins concurrent calls; a bulk call is one).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 1_000, 10_000],
      registers: [registry],
    }),
    rejections: new Counter({
      name: 'beacon_rejections_total',
      help: 'Requests answered with a failure, by reason (the envelope code name).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'beacon_rate_limited_total',
      help: 'Requests refused with 429 by the per-key rate limit.',
      registers: [registry],
    }),
  };
}

/** The same store, counting what each committed identify batch wrote. */
export function instrumentStore(store: Store, metrics: Metrics): Store {
  const identify: Store['customers']['identify'] = async (batch) => {
    const outcome = await store.customers.identify(batch);
    metrics.customersWritten.inc(batch.items.length - outcome.duplicates);
    metrics.transactionItems.observe(batch.items.length);
    return outcome;
  };
  const customers = new Proxy(store.customers, {
    get(target, property) {
      if (property === 'identify') return identify;
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return new Proxy(store, {
    get(target, property) {
      if (property === 'customers') return customers;
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
