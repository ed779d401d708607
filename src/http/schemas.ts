import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** The Fastify instance a route plugin registers on, typed for zod schemas: for functions that register a group of routes. */
export type RouteApp = Parameters<FastifyPluginAsyncZod>[0];

export const idParams = z.object({ id: z.uuid() });

/**
 * The range every date and time taken from a client must fall in. PostgreSQL refuses some
 * dates the ISO format allows (year 0), and none before the 20th century has a use here. The
 * upper end is the format's own, so dates stored by earlier versions still answer.
 */
export const EARLIEST_DATE = '1900-01-01';
export const LATEST_DATE = '9999-12-31';
const EARLIEST_INSTANT = Date.parse(`${EARLIEST_DATE}T00:00:00Z`);
const LATEST_INSTANT = Date.parse(`${LATEST_DATE}T23:59:59.999Z`);
const RANGE_MESSAGE = `must be between ${EARLIEST_DATE} and ${LATEST_DATE}`;

/** Calendar date as used by ward staff: YYYY-MM-DD, a real date, within the range above. */
export const isoDate = z.iso
  .date({ abort: true })
  .refine((date) => date >= EARLIEST_DATE && date <= LATEST_DATE, { message: RANGE_MESSAGE, abort: true });

/** An instant with its offset, within the range above once taken to UTC. */
export const timestamp = z.iso.datetime({ offset: true, abort: true }).refine(
  (text) => {
    const instant = Date.parse(text);
    return instant >= EARLIEST_INSTANT && instant <= LATEST_INSTANT;
  },
  { message: RANGE_MESSAGE, abort: true },
);

/** Something a reader can see: not only spaces and invisible format characters (zero-width, bidi). */
const VISIBLE = /[^\s\p{Z}\p{Cf}]/u;

/**
 * Bounded free text: trimmed, non-empty, with something visible in it (a name or a reason made
 * of zero-width characters shows as blank), and no longer than the documented maximum.
 */
export const freeText = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { abort: true })
    .max(max)
    .refine((text) => VISIBLE.test(text), { message: 'must contain visible text' });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .loose()
  .meta({
    id: 'Problem',
    description: 'RFC 9457 problem details',
    examples: [
      {
        type: 'https://safety-briefings.example/problems/validation-failed',
        title: 'Request validation failed',
        status: 400,
        detail: 'body.items.0.likelihood: Too big: expected number to be <=5',
        instance: '/v1/briefings',
        requestId: '2f1c6d0e-8d7b-4f0a-9a57-3c1e2b4d5f60',
        errors: [{ path: 'body.items.0.likelihood', message: 'Too big: expected number to be <=5' }],
      },
    ],
  });

/** The media type of every error answer (src/http/errors.ts). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** What each error status means wherever it is answered; the name of its shared response in the contract. */
export const PROBLEM_ANSWERS: Record<number, { name: string; description: string }> = {
  400: { name: 'BadRequest', description: 'The request is malformed or invalid; `errors` names each field' },
  401: { name: 'Unauthorized', description: 'No valid bearer token' },
  403: { name: 'Forbidden', description: "The caller's role may not do this" },
  404: { name: 'NotFound', description: "Not found, or outside the caller's organisation or wards" },
  409: {
    name: 'Conflict',
    description: 'The current state does not allow it (or the same Idempotency-Key is still being processed)',
  },
  413: { name: 'PayloadTooLarge', description: 'The request body is larger than the limit (BODY_LIMIT_BYTES)' },
  415: { name: 'UnsupportedMediaType', description: 'The request body is not JSON' },
  422: {
    name: 'UnprocessableContent',
    description:
      'Understood but refused (a patient identifier in free text, or an Idempotency-Key reused for another request)',
  },
  429: { name: 'TooManyRequests', description: 'Too many requests; retry after the time in the Retry-After header' },
  500: { name: 'InternalServerError', description: 'Unexpected error, logged under the request id' },
  503: {
    name: 'ServiceUnavailable',
    description: 'The database is unreachable or the service is shutting down; retry shortly',
  },
};

/** An error answer as declared in the contract: a problem document, with what the status means. */
export const problemResponse = (
  status: number,
  description = PROBLEM_ANSWERS[status]?.description ?? 'A problem document',
) => ({
  description,
  content: { [PROBLEM_MEDIA_TYPE]: { schema: problemSchema } },
});

/** The error answers every authenticated route can give; routes add their own. */
export const commonErrors = {
  400: problemResponse(400),
  401: problemResponse(401),
  403: problemResponse(403),
  404: problemResponse(404),
} as const;

const METHODS_WITH_BODIES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The error statuses the HTTP layer can answer on a route whatever the route does: 401 and 403
 * (authentication), 429 (rate limits), 413 and 415 (request bodies), 409 and 422 (Idempotency-Key
 * on POSTs), 500, and 503 (database down, shutting down).
 */
function layerStatuses(method: string, isPublic: boolean): number[] {
  const statuses = isPublic ? [500, 503] : [400, 401, 403, 429, 500, 503];
  if (METHODS_WITH_BODIES.has(method)) statuses.push(400, 413, 415);
  if (method === 'POST' && !isPublic) statuses.push(409, 422);
  return [...new Set(statuses)];
}

interface ContentResponse {
  description?: string;
  content: Record<string, { schema: unknown }>;
}

const isContentResponse = (value: unknown): value is ContentResponse =>
  typeof value === 'object' && value !== null && 'content' in value && typeof value.content === 'object';

/**
 * For the onRoute hook (src/routing/route-table.ts): declares on each documented route every status the HTTP
 * layer can answer, and every error as a problem document (`409: problemSchema` in a route
 * becomes the application/problem+json answer), so the contract says what the service sends.
 */
export function declareLayerResponses(route: {
  method: string | string[];
  schema?: { hide?: boolean; response?: unknown } | undefined;
  config?: { access?: unknown } | undefined;
}) {
  if (!route.schema || route.schema.hide || !route.schema.response) return;
  const declared = route.schema.response as Record<string, unknown>;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const statuses = new Set<number>();
  for (const method of methods) {
    for (const status of layerStatuses(method, route.config?.access === 'public')) statuses.add(status);
  }
  const response: Record<string, unknown> = {};
  for (const [code, value] of Object.entries(declared)) {
    response[code] = value === problemSchema ? problemResponse(Number(code)) : value;
  }
  for (const status of statuses) {
    const existing = response[status];
    if (existing === undefined) {
      response[status] = problemResponse(status);
    } else if (isContentResponse(existing)) {
      if (!existing.content[PROBLEM_MEDIA_TYPE]) {
        response[status] = {
          ...existing,
          content: { ...existing.content, [PROBLEM_MEDIA_TYPE]: { schema: problemSchema } },
        };
      }
    } else {
      // A route's own body for this status (e.g. /ready's 503), beside the layer's problem document.
      response[status] = {
        description: problemResponse(status).description,
        content: { 'application/json': { schema: existing }, [PROBLEM_MEDIA_TYPE]: { schema: problemSchema } },
      };
    }
  }
  route.schema.response = response;
}
