// Which PostgreSQL failures mean "the database is not there right now" (→ 503, retry later)
// rather than a bug. Everything else is rethrown unchanged.
import { StoreUnavailableError } from '../store.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** SQLSTATEs: connection exceptions, shutdowns, no free connection, statement/lock timeouts. */
function unavailableState(code: string): boolean {
  return (
    code.startsWith('08') || // connection_exception
    code === '57P01' || // admin_shutdown
    code === '57P02' || // crash_shutdown
    code === '57P03' || // cannot_connect_now (starting up, recovering)
    code === '53300' || // too_many_connections
    code === '57014' || // query_canceled: statement_timeout fired
    code === '55P03' // lock_not_available
  );
}

const MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error',
  'Cannot use a pool after calling end',
  'Client was closed and is not queryable',
  'Connection terminated unexpectedly',
];

export function isUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && unavailableState(code)))) {
    return true;
  }
  if (error instanceof AggregateError && error.errors.some(isUnavailable)) return true;
  return MESSAGES.some((text) => error.message.includes(text));
}

/** Deadlocks, serialization failures and unique races: the whole transaction may run again. */
export function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001' || code === '23505';
}

export function translate(error: unknown): unknown {
  if (error instanceof StoreUnavailableError) return error;
  if (isUnavailable(error)) return new StoreUnavailableError('The database is not answering.', { cause: error });
  return error;
}
