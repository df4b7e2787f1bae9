// The one response envelope, and the one map from failure codes to HTTP statuses.
import type { ErrorCode, FieldError } from '../errors.js';

export const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  payload_too_large: 413,
  validation_failed: 422,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export interface SuccessEnvelope<T> {
  success: true;
  code: 200;
  data: T;
}

export interface FailureEnvelope {
  success: false;
  code: number;
  data: unknown;
  message: string;
  errors?: FieldError[];
}

export function success<T>(data: T): SuccessEnvelope<T> {
  return { success: true, code: 200, data };
}

export function failure(code: ErrorCode, message: string, options: { errors?: FieldError[]; data?: unknown } = {}): FailureEnvelope {
  const envelope: FailureEnvelope = { success: false, code: STATUS[code], data: options.data ?? null, message };
  if (options.errors) envelope.errors = options.errors;
  return envelope;
}
