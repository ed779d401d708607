import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import type { ServiceDeps } from '../deps.js';
import { commonErrors } from '../http/schemas.js';
import { verifyAuditChain } from './service.js';

export const auditRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, { db }) => {
  app.get(
    '/v1/audit/verify',
    {
      config: { access: ['org_admin', 'governance'] },
      schema: {
        operationId: 'verifyAuditTrail',
        tags: ['audit'],
        summary: "Recompute the organisation's audit hash chain",
        description:
          'ok: every event links to the one before and still matches its hash. Otherwise the first broken event.',
        response: {
          200: z.union([
            z.object({ ok: z.literal(true), events: z.number().int(), lastHash: z.string() }),
            z.object({
              ok: z.literal(false),
              events: z.number().int().describe('Events verified before the break'),
              firstBrokenEventId: z.number().int(),
              firstBrokenSeq: z.number().int(),
              reason: z.string(),
            }),
          ]),
          ...commonErrors,
        },
      },
    },
    async (request) => verifyAuditChain(db, tenantOf(request).organisationId),
  );
};
