// The JSON body parser: rejects bodies nested deeper than the limit before JSON.parse builds
// them (a 1 MB body of `[[[[…` would otherwise cost deep recursion everywhere it is walked).
// Plain JSON.parse makes "__proto__" an own property, never the prototype; the customer rules
// then reject such keys with a 422 naming the field.
import type { FastifyInstance } from 'fastify';
import { BeaconError } from '../errors.js';

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The deepest nesting of objects/arrays in `text`, stopping early once it passes `max`. */
export function jsonDepth(text: string, max = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > max) return deepest;
      }
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return deepest;
}

/** Parses a JSON body text; throws an `invalid_request` BeaconError when empty, too deep or not JSON. */
export function parseJsonBody(text: string, maxDepth: number): unknown {
  if (text.trim() === '') throw new BeaconError('invalid_request', 'The JSON body is empty.');
  if (jsonDepth(text, maxDepth) > maxDepth) {
    throw new BeaconError('invalid_request', `The JSON body is nested more than ${maxDepth} levels deep.`, {
      errors: [{ field: 'body', message: `nests objects/arrays more than ${maxDepth} levels deep` }],
    });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new BeaconError('invalid_request', 'The body is not valid JSON.');
  }
}

export function installJsonParser(app: FastifyInstance, options: { maxDepth: number }): void {
  const { maxDepth } = options;
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string, maxDepth));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
