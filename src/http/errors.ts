import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';

/**
 * The one table from error code to HTTP status. Services throw AppError with a code;
 * the error handler below turns every failure into an RFC 9457 problem document.
 */
export const ERROR_CODES = {
  bad_request: { status: 400, title: 'Bad request' },
  validation_failed: { status: 400, title: 'Request validation failed' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Not allowed for this role' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  payload_too_large: { status: 413, title: 'Request body too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  unprocessable: { status: 422, title: 'Request cannot be processed' },
  identifier_detected: { status: 422, title: 'Free text contains a patient identifier' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal server error' },
  unavailable: { status: 503, title: 'Service temporarily unavailable' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: { errors?: FieldError[]; [key: string]: unknown } = {},
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const conflict = (message: string, extra: Record<string, unknown> = {}) =>
  new AppError('conflict', message, extra);
export const forbidden = (message = 'Your role may not perform this operation') => new AppError('forbidden', message);

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/**
 * Every request id: Fastify's `genReqId`, and the refusals the HTTP parser makes before Fastify
 * sees a request (clientErrorHandler below), so a client can quote any answer's id.
 */
export const newRequestId = () => randomUUID();

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  errors?: FieldError[];
  [key: string]: unknown;
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  code: ErrorCode,
  detail: string,
  extra: Record<string, unknown> = {},
) {
  const { status, title } = ERROR_CODES[code];
  const body: ProblemDocument = {
    type: `https://safety-briefings.example/problems/${code.replaceAll('_', '-')}`,
    title,
    status,
    detail,
    instance: request.url.split('?')[0] ?? request.url,
    requestId: request.id,
    ...extra,
  };
  return reply.status(status).type(PROBLEM_CONTENT_TYPE).send(body);
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_request',
};

/** PostgreSQL error classes that mean "the database is unreachable right now", not a bug. */
const UNAVAILABLE_DB_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '53300']);
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_DB_CODES.has(code) || UNAVAILABLE_NODE_CODES.has(code))) return true;
    const message = (current as { message?: unknown }).message;
    if (typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect|not queryable|Cannot use a pool after calling end/i.test(message)) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export function registerErrorHandling(app: FastifyInstance) {
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}`),
  );
  app.setErrorHandler(problemErrorHandler);
}

/**
 * The service's error handler: every failure becomes a problem document. Registered for the
 * whole app, and as the route error handler of plugins that set their own (Bull Board).
 */
export function problemErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof AppError) {
    return sendProblem(request, reply, error.code, error.message, error.extra);
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = error.validation.flatMap((issue): FieldError[] => {
      const at = (...more: string[]) =>
        [error.validationContext, ...pathOf(issue.instancePath), ...more].filter(Boolean).join('.');
      // An unknown field is reported at its own path, one entry per field, rather than at its parent.
      const keys = issue.keyword === 'unrecognized_keys' ? (issue.params as { keys?: unknown }).keys : undefined;
      if (Array.isArray(keys) && keys.length > 0) {
        return keys.map((key) => ({ path: at(String(key)), message: 'is not a known field' }));
      }
      return [{ path: at(), message: issue.message ?? 'is invalid' }];
    });
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
  if (isResponseSerializationError(error)) {
    request.log.error({ err: loggableError(error), method: error.method, url: error.url }, 'response failed its schema');
    return sendProblem(request, reply, 'internal', 'The server produced an invalid response');
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    // Fastify's own client errors (bad headers, malformed URLs, ...). Never echo internals.
    return sendProblem(request, reply, 'bad_request', 'The request could not be understood');
  }
  request.log.error({ err: loggableError(error) }, 'unhandled error');
  return sendProblem(request, reply, 'internal', 'An unexpected error occurred; it has been logged');
}

/** Database error fields that name where the failure happened, never the data involved. */
const DATABASE_ERROR_FIELDS = ['code', 'severity', 'constraint', 'table', 'column', 'schema', 'routine'] as const;

/**
 * What of an unexpected error may be logged. Free text must never reach the logs, but a failed
 * query's message, stack and `params` carry the values sent (descriptions, notes), and a
 * PostgreSQL error's `detail` repeats the row. So: each error in the cause chain with its type,
 * SQLSTATE and constraint, the SQL with placeholders only, and stack frames without messages.
 */
export function loggableError(error: unknown) {
  const chain: Record<string, unknown>[] = [];
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const e = current as Record<string, unknown>;
    const isQueryError = typeof e.query === 'string' && 'params' in e;
    const isDatabaseError = typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && 'severity' in e;
    // Not `type`: pino's error serializer overwrites that with the constructor of this plain object.
    const entry: Record<string, unknown> = { errorType: (current as Error).constructor?.name ?? typeof current };
    if (isQueryError) {
      entry.message = 'Failed query (parameters withheld)';
      entry.query = e.query;
    } else if (typeof e.message === 'string') {
      // PostgreSQL messages can quote the offending values (and a RAISE can say anything):
      // the code, constraint and table below identify the failure without them.
      entry.message = isDatabaseError ? `database error ${String(e.code)}` : e.message;
    }
    for (const field of DATABASE_ERROR_FIELDS) {
      if (typeof e[field] === 'string') entry[field] = e[field];
    }
    if (typeof e.stack === 'string') {
      entry.stack = e.stack
        .split('\n')
        .filter((line) => /^\s+at /.test(line))
        .join('\n');
    }
    chain.push(entry);
    current = e.cause;
  }
  return chain.length === 1 ? chain[0] : { ...chain[0], causes: chain.slice(1) };
}

/**
 * What helmet sets, for the answers given before any hook runs (router and HTTP parser
 * refusals). The same policy as helmet's for the rest of the API.
 */
export const BASELINE_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; base-uri 'self'; frame-ancestors 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-permitted-cross-domain-policies': 'none',
  'origin-agent-cluster': '?1',
};

/**
 * For Fastify's clientErrorHandler: the HTTP parser refused the request (bad request line, huge
 * headers), so there is no request object. The answer still gets a request id of its own, in the
 * body and in x-request-id, and the refusal is logged under it (Fastify binds `this`).
 */
export function clientErrorHandler(this: FastifyInstance, error: { code?: string }, socket: import('node:net').Socket) {
  // A reset connection has nobody to answer (Fastify's default handler does the same).
  if (error.code === 'ECONNRESET' || !socket.writable) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const title = status === 431 ? 'Request header fields too large' : 'Bad request';
  const requestId = newRequestId();
  this.log.info({ reqId: requestId, code: error.code, status }, 'request refused by the HTTP parser');
  const body = JSON.stringify({
    type: `https://safety-briefings.example/problems/${status === 431 ? 'headers-too-large' : 'bad-request'}`,
    title,
    status,
    detail: status === 431 ? 'The request headers are too large' : 'The request could not be understood',
    instance: '',
    requestId,
  });
  const headers = {
    ...BASELINE_SECURITY_HEADERS,
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': String(Buffer.byteLength(body)),
    'x-request-id': requestId,
    connection: 'close',
  };
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\n${Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\r\n')}\r\n\r\n${body}`,
  );
}

/**
 * For Fastify's `frameworkErrors` option: the router's own refusals (a URL that cannot be
 * decoded, a path parameter longer than maxParamLength) bypass the error handler, so without
 * this they answer Fastify's plain JSON, echoing the URL, instead of a problem document.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  request.log.info({ code: error.code }, 'request URL refused by the router');
  reply.headers(BASELINE_SECURITY_HEADERS);
  reply.header('x-request-id', request.id);
  return sendProblem(request, reply, 'bad_request', 'The request URL could not be understood');
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
