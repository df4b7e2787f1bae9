// Structured logs. Nothing a client sent is logged: no keys, emails, phones, IPs or raw URLs
// (a path can hold a user_id, which is often an email). Request lines name the route pattern.
import pino, { type DestinationStream, type Logger } from 'pino';

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
