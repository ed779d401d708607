import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
  type ZodFastifySchemaValidationError,
} from 'fastify-type-provider-zod';
import { isDatabaseUnavailable, isLostToConcurrentChange } from '../db/errors.js';
import { AppError, type ErrorCode, type FieldError, sendProblem } from './errors.js';
import { loggableError } from './log-redaction.js';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_request',
};

/** Unknown routes and every failure answer a problem document, for the whole app. */
export const problemErrorsPlugin = fp(
  async (app: FastifyInstance) => {
    app.setNotFoundHandler((request, reply) =>
      sendProblem(request, reply, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}`),
    );
    app.setErrorHandler(problemErrorHandler);
  },
  { name: 'problem-errors' },
);

/**
 * The service's error handler: every failure becomes a problem document. Registered for the
 * whole app, and as the route error handler of plugins that set their own (Bull Board).
 */
export function problemErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof AppError) {
    return sendProblem(request, reply, error.code, error.message, error.extra);
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = validationErrors(error);
    return sendProblem(request, reply, 'validation_failed', describeValidation(errors), { errors });
  }
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped) {
    return sendProblem(request, reply, mapped, error.message);
  }
  if (error.statusCode === 429) {
    return sendProblem(request, reply, 'rate_limited', 'Too many requests; retry after the time in Retry-After');
  }
  if (isDatabaseUnavailable(error)) {
    request.log.warn({ err: loggableError(error) }, 'database unavailable');
    return sendProblem(request, reply, 'unavailable', 'The database is unavailable; retry shortly');
  }
  if (isLostToConcurrentChange(error)) {
    request.log.warn({ err: loggableError(error) }, 'transaction lost to a concurrent change');
    reply.header('retry-after', '1');
    return sendProblem(
      request,
      reply,
      'unavailable',
      'Another change to the same records ran at the same moment; nothing was written: send the request again',
    );
  }
  if (isResponseSerializationError(error)) {
    request.log.error(
      { err: loggableError(error), method: error.method, url: error.url },
      'response failed its schema',
    );
    return sendProblem(request, reply, 'internal', 'The server produced an invalid response');
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    // Fastify's own client errors (bad headers, malformed URLs, ...). Never echo internals.
    return sendProblem(request, reply, 'bad_request', 'The request could not be understood');
  }
  request.log.error({ err: loggableError(error) }, 'unhandled error');
  return sendProblem(request, reply, 'internal', 'An unexpected error occurred; it has been logged');
}

type SchemaValidationError = Omit<FastifyError, 'validation'> & { validation: ZodFastifySchemaValidationError[] };

/** One entry per field at fault, named by its path in the request part (body.name, querystring.limit). */
function validationErrors(error: SchemaValidationError): FieldError[] {
  return error.validation.flatMap((issue): FieldError[] => {
    const at = (...more: string[]) =>
      [error.validationContext, ...pathOf(issue.instancePath), ...more].filter(Boolean).join('.');
    // An unknown field is reported at its own path, one entry per field, rather than at its parent.
    const keys = issue.keyword === 'unrecognized_keys' ? (issue.params as { keys?: unknown }).keys : undefined;
    if (Array.isArray(keys) && keys.length > 0) {
      return keys.map((key) => ({ path: at(String(key)), message: 'is not a known field' }));
    }
    return [{ path: at(), message: issue.message ?? 'is invalid' }];
  });
}

function pathOf(instancePath: string): string[] {
  return instancePath.split('/').filter(Boolean);
}

function describeValidation(errors: FieldError[]): string {
  const first = errors[0];
  if (!first) return 'The request is invalid';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return `${first.path || 'request'}: ${first.message}${more}`;
}
