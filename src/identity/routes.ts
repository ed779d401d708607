import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, tenantOf } from '../auth/plugin.js';
import { ORG_ADMIN, PLATFORM_ADMIN } from '../auth/roles.js';
import type { OidcSettings } from '../config.js';
import type { ServiceDeps } from '../deps.js';
import { commonErrors, idParams, problemSchema, type RouteApp, timestamp } from '../http/schemas.js';
import { getProvider, removeProvider, setExternalId, setProvider } from './settings.js';

const providerSchema = z
  .object({
    organisationId: z.uuid(),
    issuer: z.string(),
    audience: z.string(),
    claim: z.string(),
    updatedAt: timestamp,
  })
  .meta({ id: 'IdentityProvider' });

const providerBody = z
  .strictObject({
    issuer: z.string().max(2000).describe("The provider's issuer URL, exactly as its tokens' `iss` (https)"),
    audience: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .describe(
        "The trust's client id at the provider (the ID token's `aud`), or the API's audience for access tokens",
      ),
    claim: z
      .string()
      .regex(/^[A-Za-z0-9_.:/-]{1,100}$/, 'must be a claim name')
      .describe('`email` matches the staff email; any other claim (a staff number) matches the staff external id'),
  })
  .meta({
    examples: [
      { issuer: 'https://login.trust.example/realms/staff', audience: 'ward-safety-briefings', claim: 'email' },
    ],
  });

/** An organisation's provider: set, read and removed by the platform administrator; read by the organisation. */
function providerRoutes(app: RouteApp, deps: ServiceDeps & { oidc: OidcSettings }) {
  const { db } = deps;
  app.put(
    '/v1/organisations/:id/identity-provider',
    {
      config: { access: PLATFORM_ADMIN },
      schema: {
        operationId: 'setIdentityProvider',
        tags: ['organisations'],
        summary: "Connect an organisation's OpenID Connect provider: its staff then sign in with the provider's tokens",
        description:
          "The issuer's discovery document is read to check it (422 when it cannot be). Two organisations may share " +
          'an issuer (NHS CIS2) but not an issuer and an audience (409).',
        params: idParams,
        body: providerBody,
        response: { 200: providerSchema, 409: problemSchema, 422: problemSchema, ...commonErrors },
      },
    },
    async (request) => setProvider(db, principalOf(request), request.params.id, request.body, deps.oidc),
  );

  app.get(
    '/v1/organisations/:id/identity-provider',
    {
      config: { access: PLATFORM_ADMIN },
      schema: {
        operationId: 'getIdentityProvider',
        tags: ['organisations'],
        summary: "An organisation's identity provider",
        params: idParams,
        response: { 200: providerSchema, ...commonErrors },
      },
    },
    async (request) => getProvider(db, request.params.id),
  );

  app.delete(
    '/v1/organisations/:id/identity-provider',
    {
      config: { access: PLATFORM_ADMIN },
      schema: {
        operationId: 'removeIdentityProvider',
        tags: ['organisations'],
        summary: "Disconnect an organisation's identity provider: its tokens are refused at once",
        params: idParams,
        response: { 204: z.null(), ...commonErrors },
      },
    },
    async (request, reply) => {
      await removeProvider(db, principalOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/organisation/identity-provider',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'getOwnIdentityProvider',
        tags: ['organisations'],
        summary: "The caller's organisation's identity provider (set by the platform administrator)",
        response: { 200: providerSchema, ...commonErrors },
      },
    },
    async (request) => getProvider(db, tenantOf(request).organisationId),
  );
}

/** A staff member's identifier at the provider. */
function externalIdRoutes(app: RouteApp, { db }: ServiceDeps) {
  app.put(
    '/v1/staff/:id/external-id',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'setStaffExternalId',
        tags: ['staff'],
        summary: "A staff member's identifier at the identity provider, when its claim is not email (a staff number)",
        params: idParams,
        body: z.strictObject({ externalId: z.string().trim().min(1).max(200).nullable() }),
        response: {
          200: z.object({ staffId: z.uuid(), externalId: z.string().nullable() }),
          409: problemSchema,
          ...commonErrors,
        },
      },
    },
    async (request) => setExternalId(db, tenantOf(request), request.params.id, request.body.externalId),
  );
}

/** An organisation's OpenID Connect provider, and the identifier a staff member has there. */
export const identityRoutes: FastifyPluginAsyncZod<ServiceDeps & { oidc: OidcSettings }> = async (app, deps) => {
  providerRoutes(app, deps);
  externalIdRoutes(app, deps);
};
