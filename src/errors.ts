// One closed set of failure codes. Only src/http maps them to HTTP statuses.

export type ErrorCode =
  | 'invalid_request' // unparseable JSON, wrong content type, malformed query
  | 'unauthorized' // missing, unknown or revoked key
  | 'forbidden' // key lacks the scope
  | 'not_found'
  | 'payload_too_large'
  | 'validation_failed'
  | 'rate_limited'
  | 'unavailable' // shutting down or database unreachable
  | 'internal';

export interface FieldError {
  /** Dotted path of the offending value, e.g. `custom_attributes.plan name` or `customers.3.email`. */
  field: string;
  message: string;
}

export class BeaconError extends Error {
  readonly code: ErrorCode;
  readonly errors: FieldError[] | undefined;
  readonly data: unknown;

  constructor(code: ErrorCode, message: string, options: { errors?: FieldError[]; data?: unknown } = {}) {
    super(message);
    this.name = 'BeaconError';
    this.code = code;
    this.errors = options.errors;
    this.data = options.data ?? null;
  }
}

export function validationError(errors: FieldError[], message?: string): BeaconError {
  const first = errors[0];
  return new BeaconError(
    'validation_failed',
    message ?? (first ? `${first.field}: ${first.message}` : 'The request is invalid.'),
    { errors },
  );
}
