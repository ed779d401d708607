import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The one table from error code to HTTP status. Services throw AppError with a code; the error
 * handler (src/http/error-handler.ts) turns every failure into an RFC 9457 problem document.
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
 * sees a request (clientErrorHandler in src/http/refusals.ts), so a client can quote any answer's id.
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
