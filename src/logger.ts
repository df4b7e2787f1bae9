// Structured logs. Nothing a client sent is logged: no keys, emails, phones, IPs or raw URLs
// (a path can hold a user_id, which is often an email). Request lines name the route pattern.
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Standard output written asynchronously: under load, lines that arrive while a write is in
 * flight go out together in the next one instead of costing a write(2) each. Pending lines are
 * flushed when the process exits (pino registers that); a SIGKILL can lose the last few.
 */
export function asyncStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: false });
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'beacon' },
      serializers: { err: (err: Error) => ({ type: err.name, stack: err.stack }) },
    },
    destination,
  );
}
