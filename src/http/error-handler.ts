// Every failure leaves through here, so every failure has the same shape.
import type { FastifyError, FastifyInstance } from 'fastify';
import { BeaconError, type ErrorCode } from '../errors.js';
import { StoreUnavailableError } from '../store/store.js';
import { failure, STATUS } from './envelope.js';

/** Fastify's own client errors, in Beacon's terms. */
function codeForFastifyError(error: FastifyError): { code: ErrorCode; message: string } | null {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'payload_too_large', message: 'The request body is larger than this route accepts.' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: 'invalid_request', message: 'Send the body as JSON with Content-Type: application/json.' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'invalid_request', message: 'The JSON body is empty.' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 'invalid_request', message: 'The body is not valid JSON.' };
    default:
      break;
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return { code: 'invalid_request', message: 'The body is not valid JSON.' };
  }
  if (error.statusCode === 413) return { code: 'payload_too_large', message: 'The request body is too large.' };
  if (error.statusCode === 415) return { code: 'invalid_request', message: 'Send the body as JSON with Content-Type: application/json.' };
  return null;
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | BeaconError | StoreUnavailableError, request, reply) => {
    if (error instanceof BeaconError) {
      request.log.info({ code: error.code }, 'request rejected');
      return reply.status(STATUS[error.code]).send(failure(error.code, error.message, { errors: error.errors, data: error.data }));
    }
    if (error instanceof StoreUnavailableError) {
      // A load balancer retries elsewhere or later; the client sees the same envelope as any failure.
      request.log.warn({ code: 'unavailable' }, 'database unavailable');
      return reply
        .status(STATUS.unavailable)
        .header('retry-after', '1')
        .send(failure('unavailable', 'The database is not answering; try again shortly.'));
    }
    const known = codeForFastifyError(error as FastifyError);
    if (known) {
      request.log.info({ code: known.code }, 'request rejected');
      return reply.status(STATUS[known.code]).send(failure(known.code, known.message));
    }
    // The error object may hold request data: log its name and stack only.
    request.log.error({ err: { type: error.name, code: error.code, stack: error.stack } }, 'unexpected error');
    return reply.status(500).send(failure('internal', 'Something went wrong on the server.'));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(failure('not_found', `No route ${request.method} ${request.url.split('?')[0]}.`));
  });
}
