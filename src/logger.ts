// Structured logs. Nothing a client sent is logged: no keys, emails, phones, IPs or raw URLs
// (a path can hold a user_id, which is often an email). Request lines name the route pattern.
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Standard output, buffered: lines go out in writes of at least 4 KB, and at least every
 * 200 ms, instead of one write(2) per request line. Pending lines are flushed when the process
 * exits (pino registers that); a SIGKILL can lose the last 200 ms of lines.
 */
export function asyncStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 200 });
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
