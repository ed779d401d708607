import fp from 'fastify-plugin';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DatabaseHandle } from '../db/client.js';
import { outboxBacklog } from '../queue/outbox.js';
import { QUEUE_NAMES, type QueueSet } from '../queue/queues.js';
import { probe, withTimeout } from './probe.js';

const readinessSchema = z.object({
  status: z.enum(['ready', 'degraded', 'not_ready']),
  checks: z.object({
    database: z.enum(['up', 'down']),
    queue: z.enum(['up', 'down']),
    pausedQueues: z
      .array(z.enum(QUEUE_NAMES))
      .nullable()
      .describe('Queues paused by an operator (their jobs do not run); null when the queue cannot be asked'),
  }),
  outboxBacklog: z.number().int().nullable().describe('Jobs written but not yet handed to the queue'),
});

/** The API's operations routes, public: liveness, readiness and the OpenAPI document. */
const routes: FastifyPluginAsyncZod<{ database: DatabaseHandle; queues: QueueSet }> = async (
  app,
  { database, queues },
) => {
  app.get(
    '/health',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'health',
        tags: ['operations'],
        summary: 'Liveness: the process is running',
        security: [],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'ready',
        tags: ['operations'],
        summary: 'Readiness: the database (and queue) can be reached, and no queue is paused',
        description:
          '503 only when the database cannot be reached. Capture works without Redis (the outbox keeps the work), ' +
          'so an unreachable queue or a paused one (escalation timers or webhooks stand still) is 200 with status degraded.',
        security: [],
        response: {
          200: readinessSchema,
          503: readinessSchema,
        },
      },
    },
    async (_request, reply) => {
      const [databaseState, queueState] = await Promise.all([probe(() => database.ping()), probe(() => queues.ping())]);
      const [backlog, pausedQueues] = await Promise.all([
        databaseState === 'up' ? outboxBacklog(database.db).catch(() => null) : null,
        queueState === 'up' ? withTimeout(queues.paused()).catch(() => null) : null,
      ]);
      // Capture works without Redis (the outbox keeps the work), so only the database decides
      // readiness; a queue that is unreachable or paused (timers stand still) is degraded.
      const queueWorks = queueState === 'up' && pausedQueues !== null && pausedQueues.length === 0;
      const status = databaseState === 'down' ? 'not_ready' : queueWorks ? 'ready' : 'degraded';
      return reply
        .status(databaseState === 'up' ? 200 : 503)
        .send({ status, checks: { database: databaseState, queue: queueState, pausedQueues }, outboxBacklog: backlog });
    },
  );

  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
};

// Encapsulated like every feature's routes; named, so that it can only come after the docs.
export const operationsRoutes = fp(routes, {
  name: 'operations-routes',
  dependencies: ['api-docs'],
  encapsulate: true,
});
