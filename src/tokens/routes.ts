import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ORG_ADMIN } from '../auth/roles.js';
import { tenantOf } from '../auth/plugin.js';
import { tokenLifetimesOf, type ServiceDeps } from '../deps.js';
import { commonErrors, freeText, idParams, problemSchema, type RouteApp, timestamp } from '../http/schemas.js';
import { issueToken, listTokens, revokeToken } from './service.js';
import { rotateToken } from './rotate.js';

const tokenSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(['staff', 'ward_device']),
    staffId: z.uuid().nullable(),
    wardId: z.uuid().nullable(),
    label: z.string().nullable(),
    prefix: z
      .string()
      .nullable()
      .describe("The token's first characters, to tell tokens apart (null if issued before prefixes)"),
    createdAt: timestamp,
    expiresAt: timestamp.nullable().describe('After this the token answers 401'),
    lastUsedAt: timestamp.nullable().describe('Last use, to the minute'),
    revokedAt: timestamp.nullable(),
    replacedById: z.uuid().nullable().describe('The token that replaced this one by rotation'),
  })
  .meta({ id: 'Token' });

const label = freeText(100);
const expiresInDays = z
  .number()
  .int()
  .min(1)
  .optional()
  .describe("Fewer days than the kind's default lifetime (STAFF_TOKEN_DAYS, WARD_DEVICE_TOKEN_DAYS), never more");

/** Issuing tokens and listing them. */
function tokenIssueRoutes(app: RouteApp, deps: ServiceDeps) {
  const { db } = deps;
  app.post(
    '/v1/tokens',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'issueToken',
        tags: ['tokens'],
        summary: 'Issue a bearer token for a staff member, or for a ward device (shared tablet)',
        body: z
          .union([
            z.strictObject({ staffId: z.uuid(), label: label.optional(), expiresInDays }),
            z.strictObject({ wardId: z.uuid(), label, expiresInDays }),
          ])
          .meta({
            examples: [
              { staffId: '9c3e1f7a-2b4d-4e6f-8a1c-5d7e9f0b2c43' },
              { wardId: '4b0d2c8e-3f1a-4c57-9e2b-7a6d5c4b3a21', label: 'Ward 7A tablet' },
            ],
          }),
        response: {
          201: tokenSchema.extend({ token: z.string().describe('Shown only once') }),
          ...commonErrors,
        },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await issueToken(db, tenantOf(request), request.body, tokenLifetimesOf(deps))),
  );

  app.get(
    '/v1/tokens',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'listTokens',
        tags: ['tokens'],
        summary: "The organisation's tokens (never the secrets)",
        response: { 200: z.object({ data: z.array(tokenSchema) }), ...commonErrors },
      },
    },
    async (request) => ({ data: await listTokens(db, tenantOf(request)) }),
  );
}

/** Revoking and rotating a token. */
function tokenLifecycleRoutes(app: RouteApp, deps: ServiceDeps) {
  const { db } = deps;
  app.delete(
    '/v1/tokens/:id',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'revokeToken',
        tags: ['tokens'],
        summary: 'Revoke a token; it stops working at once',
        params: idParams,
        response: { 200: tokenSchema, ...commonErrors },
      },
    },
    async (request) => revokeToken(db, tenantOf(request), request.params.id),
  );

  app.post(
    '/v1/tokens/:id/rotate',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'rotateToken',
        tags: ['tokens'],
        summary: 'Issue a replacement token; the old one keeps working for the rotation grace period only',
        description:
          'The new token has the same staff member or ward and label, and a full lifetime. The old token ' +
          'expires at the end of TOKEN_ROTATION_GRACE_SECONDS (default 24 h) or its own expiry, if sooner. ' +
          'A revoked, expired or already rotated token answers 409.',
        params: idParams,
        response: {
          201: tokenSchema.extend({
            token: z.string().describe('Shown only once'),
            replaced: tokenSchema.describe('The old token, with its new expiry'),
          }),
          409: problemSchema,
          ...commonErrors,
        },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await rotateToken(db, tenantOf(request), request.params.id, tokenLifetimesOf(deps))),
  );
}

export const tokenRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, deps) => {
  tokenIssueRoutes(app, deps);
  tokenLifecycleRoutes(app, deps);
};
