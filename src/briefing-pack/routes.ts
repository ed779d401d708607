import { localDateOf } from '../domain/calendar.js';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import { TENANT_ROLES } from '../auth/roles.js';
import type { ServiceDeps } from '../deps.js';
import { commonErrors, idParams, isoDate } from '../http/schemas.js';
import { itemSchema } from '../items/schemas.js';
import { renderBriefingPackHtml } from './html.js';
import { briefingPack } from './service.js';

const packSchema = z
  .object({
    ward: z.object({ id: z.uuid(), code: z.string(), name: z.string() }),
    date: isoDate,
    previousBriefing: z.object({ id: z.uuid(), date: isoDate }).nullable(),
    since: isoDate,
    openItems: z.array(itemSchema),
    resolvedSincePreviousBriefing: z.array(itemSchema),
    overdueEscalations: z.array(
      z.object({
        id: z.uuid(),
        itemId: z.uuid(),
        description: z.string(),
        band: z.string(),
        level: z.number().int(),
        assignee: z.string(),
        dueAt: z.string(),
      }),
    ),
    overdueActions: z
      .array(
        z.object({
          id: z.uuid(),
          escalationId: z.uuid(),
          itemId: z.uuid(),
          description: z.string(),
          dueDate: isoDate,
          assignee: z.string(),
        }),
      )
      .describe("Managers' planned actions whose due date has passed while the escalation is unresolved"),
    persistentIssues: z.array(itemSchema.extend({ rank: z.number() })),
    priorities: z.array(
      z.object({
        id: z.uuid(),
        title: z.string(),
        level: z.string(),
        active: z.boolean(),
        items: z.number().int(),
        openItems: z.number().int(),
      }),
    ),
    counts: z.object({
      open: z.number().int(),
      resolvedSincePreviousBriefing: z.number().int(),
      overdueEscalations: z.number().int(),
      overdueActions: z.number().int(),
      persistent: z.number().int(),
    }),
  })
  .meta({ id: 'BriefingPack' });

export const briefingPackRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, deps) => {
  app.get(
    '/v1/wards/:id/briefing-pack',
    {
      config: { access: TENANT_ROLES },
      schema: {
        operationId: 'briefingPack',
        tags: ['alignment'],
        summary: "What the ward needs at its next briefing: open items and the managers' answers, what was resolved",
        description: '`format=html` gives a printable one-page version (text/html).',
        params: idParams,
        querystring: z.strictObject({
          date: isoDate.optional().describe('The briefing date; default today (UTC)'),
          format: z.enum(['json', 'html']).default('json'),
        }),
        response: {
          200: {
            description: "The ward's briefing pack",
            content: {
              'application/json': { schema: packSchema },
              'text/html': { schema: z.string().describe('Printable one-page version (format=html)') },
            },
          },
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      const date = request.query.date ?? localDateOf(new Date());
      const pack = await briefingPack(deps, tenantOf(request), request.params.id, date);
      if (request.query.format === 'html') {
        return reply.type('text/html; charset=utf-8').send(renderBriefingPackHtml(pack));
      }
      return pack;
    },
  );
};
