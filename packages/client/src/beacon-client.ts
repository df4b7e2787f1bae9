// Beacon's TypeScript client. Queues identify calls and sends them to POST /customers/bulk in
// batches, retrying what can succeed later and reporting what never will. Uses only `fetch`,
// `setTimeout` and `AbortSignal`, so it runs unchanged in Node 20 and in browsers.
import type { CustomerInput } from '../../../src/customers/schemas.js';
import type { FieldError } from '../../../src/errors.js';

/** One identify call: the same shape POST /customers accepts (types from the server's schemas). */
export type Customer = CustomerInput;
export type { FieldError };

export type DeliveryFailureReason =
  /** The server rejected this customer (422): `errors` says which fields and why. */
  | 'rejected'
  /** The queue held `maxQueueSize` customers; this one was dropped. */
  | 'queue_full'
  /** identify() after close(). */
  | 'closed'
  /** A 4xx other than 422/429, or retries ran out: the batch was not stored. */
  | 'failed';

export interface DeliveryFailure {
  reason: DeliveryFailureReason;
  message: string;
  customer: Customer;
  /** The server's field errors for this customer (reason `rejected`), otherwise empty. */
  errors: FieldError[];
  /** The last HTTP status, when there was a response. */
  status?: number;
}

export interface BeaconOptions {
  /** A project key: the public key (`pk_…`) in browsers, either key on servers. */
  key: string;
  /** Where Beacon listens, e.g. `https://beacon.example.com`. */
  host: string;
  /** Send when this many customers are queued (default 100, at most 10,000). */
  flushAt?: number;
  /** Send at most this many ms after the first queued customer (default 1,000). */
  flushInterval?: number;
  /** Retries after the first attempt, on network errors, 5xx and 429 (default 5). */
  maxRetries?: number;
  /** Customers held (queued or being sent) before new ones are dropped (default 10,000). */
  maxQueueSize?: number;
  /** Base of the exponential backoff in ms (default 200); each retry waits a random time up to base·2^attempt. */
  retryBaseDelay?: number;
  /** Cap of one backoff wait, Retry-After included, in ms (default 30,000). */
  maxRetryDelay?: number;
  /** Abort one request after this many ms (default 10,000); counts as a network error. */
  timeout?: number;
  /** Called once for every customer that will not be stored. Default: console.error. */
  onError?: (failure: DeliveryFailure) => void;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

interface Settings {
  flushAt: number;
  flushInterval: number;
  maxRetries: number;
  maxQueueSize: number;
  retryBaseDelay: number;
  maxRetryDelay: number;
  timeout: number;
}

/** The server's bulk ceiling (BEACON_MAX_BULK_ITEMS default). */
const MAX_BATCH = 10_000;

interface BulkRejection {
  index: number;
  errors: FieldError[];
}

type Attempt =
  | { kind: 'stored' }
  | { kind: 'partial'; rejected: BulkRejection[]; status: number }
  | { kind: 'retry'; status?: number; retryAfterMs?: number; message: string }
  | { kind: 'failed'; status: number; message: string; errors: FieldError[] };

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`Beacon: ${name} must be a number ≥ 0`);
  return value;
}

/** Retry-After is either delay-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Beacon {
  private readonly key: string;
  private readonly url: string;
  private readonly settings: Settings;
  private readonly onError: (failure: DeliveryFailure) => void;
  private readonly fetchImpl: typeof fetch;
  private queue: Customer[] = [];
  private inFlightItems = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(options: BeaconOptions) {
    if (!options || typeof options.key !== 'string' || options.key === '') throw new TypeError('Beacon: key is required');
    if (typeof options.host !== 'string' || options.host === '') throw new TypeError('Beacon: host is required');
    this.key = options.key;
    this.url = `${options.host.replace(/\/+$/, '')}/customers/bulk`;
    this.settings = {
      flushAt: Math.min(MAX_BATCH, Math.max(1, Math.floor(positive(options.flushAt, 100, 'flushAt')))),
      flushInterval: positive(options.flushInterval, 1_000, 'flushInterval'),
      maxRetries: Math.floor(positive(options.maxRetries, 5, 'maxRetries')),
      maxQueueSize: Math.max(1, Math.floor(positive(options.maxQueueSize, 10_000, 'maxQueueSize'))),
      retryBaseDelay: positive(options.retryBaseDelay, 200, 'retryBaseDelay'),
      maxRetryDelay: positive(options.maxRetryDelay, 30_000, 'maxRetryDelay'),
      timeout: positive(options.timeout, 10_000, 'timeout'),
    };
    this.onError =
      options.onError ?? ((failure) => console.error(`Beacon: customer not stored (${failure.reason}): ${failure.message}`));
    const globalFetch = typeof fetch === 'function' ? fetch : undefined;
    const chosen = options.fetch ?? globalFetch;
    if (!chosen) throw new TypeError('Beacon: no fetch available; pass options.fetch');
    // Browsers throw "Illegal invocation" when fetch is called detached from window.
    this.fetchImpl = options.fetch ?? ((input, init) => chosen.call(globalThis, input, init));
  }

  /** Customers queued or being sent. */
  get pending(): number {
    return this.queue.length + this.inFlightItems;
  }

  /**
   * Queue one identify call. Returns false (and reports through onError) when the client is
   * closed or the queue is full; the call is then dropped.
   */
  identify(customer: Customer): boolean {
    if (this.closed) {
      this.report({ reason: 'closed', message: 'identify() after close(); the customer was not queued.', customer, errors: [] });
      return false;
    }
    if (this.pending >= this.settings.maxQueueSize) {
      this.report({
        reason: 'queue_full',
        message: `The queue holds ${this.settings.maxQueueSize} customers (maxQueueSize); this one was dropped.`,
        customer,
        errors: [],
      });
      return false;
    }
    this.queue.push(customer);
    if (this.queue.length >= this.settings.flushAt) this.sendQueued();
    else if (this.timer === undefined) this.timer = setTimeout(() => this.sendQueued(), this.settings.flushInterval);
    return true;
  }

  /** Send everything queued and wait until every batch is stored or reported. */
  async flush(): Promise<void> {
    this.sendQueued();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Flush, then refuse new calls. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private sendQueued(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.settings.flushAt);
      this.inFlightItems += batch.length;
      const sending: Promise<void> = this.deliver(batch).finally(() => {
        this.inFlightItems -= batch.length;
        this.inFlight.delete(sending);
      });
      this.inFlight.add(sending);
    }
  }

  private async deliver(batch: Customer[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(batch);
      if (outcome.kind === 'stored') return;
      if (outcome.kind === 'partial') {
        // The accepted ones are stored: report exactly the rejected ones, resend nothing.
        for (const rejection of outcome.rejected) {
          const customer = batch[rejection.index];
          if (customer === undefined) continue;
          this.report({
            reason: 'rejected',
            message: rejection.errors.map((error) => `${error.field}: ${error.message}`).join('; ') || 'rejected by the server',
            customer,
            errors: rejection.errors,
            status: outcome.status,
          });
        }
        return;
      }
      if (outcome.kind === 'failed') {
        for (const customer of batch) {
          this.report({ reason: 'failed', message: outcome.message, customer, errors: outcome.errors, status: outcome.status });
        }
        return;
      }
      if (attempt >= this.settings.maxRetries) {
        const message = `gave up after ${attempt + 1} attempts: ${outcome.message}`;
        for (const customer of batch) this.report({ reason: 'failed', message, customer, errors: [], status: outcome.status });
        return;
      }
      await sleep(this.delayBeforeRetry(attempt, outcome.retryAfterMs));
    }
  }

  private delayBeforeRetry(attempt: number, retryAfterMs: number | undefined): number {
    const { retryBaseDelay, maxRetryDelay } = this.settings;
    if (retryAfterMs !== undefined) return Math.min(maxRetryDelay, retryAfterMs);
    // Full jitter: many clients retrying after one outage spread out instead of arriving together.
    return Math.random() * Math.min(maxRetryDelay, retryBaseDelay * 2 ** attempt);
  }

  private async attempt(batch: Customer[]): Promise<Attempt> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ customers: batch }),
        signal: AbortSignal.timeout(this.settings.timeout),
      });
    } catch (error) {
      return { kind: 'retry', message: `network error: ${error instanceof Error ? error.message : String(error)}` };
    }
    const body = (await response.json().catch(() => null)) as {
      message?: unknown;
      errors?: FieldError[];
      data?: { rejected?: BulkRejection[] } | null;
    } | null;
    const message = typeof body?.message === 'string' ? body.message : `HTTP ${response.status}`;
    if (response.ok) return { kind: 'stored' };
    if (response.status === 429) {
      return { kind: 'retry', status: 429, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')), message };
    }
    if (response.status >= 500) return { kind: 'retry', status: response.status, message };
    const rejected = body?.data?.rejected;
    if (response.status === 422 && Array.isArray(rejected)) return { kind: 'partial', rejected, status: 422 };
    return { kind: 'failed', status: response.status, message, errors: Array.isArray(body?.errors) ? body.errors : [] };
  }

  private report(failure: DeliveryFailure): void {
    try {
      this.onError(failure);
    } catch {
      // A throwing callback must not break delivery of the other customers.
    }
  }
}
