import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, tenantOf } from '../auth/plugin.js';
import { ORG_ADMIN, PLATFORM_ADMIN, TENANT_ROLES } from '../auth/roles.js';
import { tokenLifetimesOf, type ServiceDeps } from '../deps.js';
import { IDENTIFIER_POLICIES } from '../domain/taxonomy.js';
import { commonErrors, freeText, problemSchema, timestamp } from '../http/schemas.js';
import { createOrganisation, getOrganisation, presentOrganisation, updateSettings } from './service.js';
import { webhookRoutes } from '../webhooks/routes.js';
import { identityRoutes } from '../identity/routes.js';
import type { OidcSettings } from '../config.js';
import type { WebhookUrlPolicy } from '../webhooks/url.js';

const riskBands = z
  .strictObject({
    moderate: z.number().int().min(2).max(25),
    high: z.number().int().min(2).max(25),
    extreme: z.number().int().min(2).max(25),
  })
  .describe('Lowest 5x5 score of each band; scores below `moderate` are low');

const organisationSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    code: z.string(),
    settings: z.object({
      riskBands: riskBands,
      identifierPolicy: z.enum(IDENTIFIER_POLICIES),
      webhookUrl: z.string().nullable(),
    }),
    createdAt: timestamp,
  })
  .meta({ id: 'Organisation' });

export const organisationRoutes: FastifyPluginAsyncZod<
  ServiceDeps & { webhookPolicy: WebhookUrlPolicy; oidc: OidcSettings }
> = async (app, deps) => {
  const { db } = deps;
  app.post(
    '/v1/organisations',
    {
      config: { access: PLATFORM_ADMIN },
      schema: {
        operationId: 'createOrganisation',
        tags: ['organisations'],
        summary: 'Create an organisation (NHS trust) with its first administrator',
        body: z
          .strictObject({
            name: freeText(200),
            code: z.string().regex(/^[A-Z0-9]{2,12}$/, 'must be 2-12 upper-case letters or digits (e.g. the ODS code)'),
          })
          .meta({ examples: [{ name: 'Riverside University Hospitals NHS Trust', code: 'RRV' }] }),
        response: {
          201: organisationSchema.extend({
            adminStaffId: z.uuid(),
            adminToken: z.string().describe('Shown only once; store it safely'),
          }),
          409: problemSchema,
          // 422: a patient identifier in the name.
          422: problemSchema,
          ...commonErrors,
        },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createOrganisation(db, principalOf(request), request.body, tokenLifetimesOf(deps))),
  );

  app.get(
    '/v1/organisation',
    {
      config: { access: TENANT_ROLES },
      schema: {
        operationId: 'getOwnOrganisation',
        tags: ['organisations'],
        summary: "The caller's organisation and its settings",
        response: { 200: organisationSchema, ...commonErrors },
      },
    },
    async (request) => presentOrganisation(await getOrganisation(db, tenantOf(request).organisationId)),
  );

  app.patch(
    '/v1/organisation/settings',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'updateOrganisationSettings',
        tags: ['organisations'],
        summary: 'Change risk band cut-offs or the identifier policy (reject or redact)',
        body: z.strictObject({
          riskBands: riskBands.optional(),
          identifierPolicy: z.enum(IDENTIFIER_POLICIES).optional(),
        }),
        response: { 200: organisationSchema, ...commonErrors },
      },
    },
    async (request) => presentOrganisation(await updateSettings(db, tenantOf(request), request.body)),
  );

  // The organisation's webhook setting and its delivery record: routes of the webhooks feature.
  await app.register(webhookRoutes, deps);
  // The organisation's identity provider (OpenID Connect sign-in): routes of the identity feature.
  await app.register(identityRoutes, deps);
};
