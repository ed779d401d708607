import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import { authPlugin } from './auth/plugin.js';
import { tokenRoutes } from './auth/routes.js';
import { briefingRoutes } from './briefings/routes.js';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/client.js';
import { frameworkErrorHandler, registerErrorHandling } from './http/errors.js';
import { idempotencyPlugin } from './http/idempotency.js';
import { createRateLimiter } from './http/rate-limit.js';
import { itemRoutes } from './items/routes.js';
import { organisationRoutes } from './organisations/routes.js';
import { staffRoutes } from './staff/routes.js';
import { wardRoutes } from './wards/routes.js';
import type { Relay, ServiceDeps } from './deps.js';
import { escalationRoutes } from './escalations/routes.js';
import { notificationRoutes } from './notifications/routes.js';
import { priorityRoutes } from './priorities/routes.js';
import { auditRoutes } from './audit/routes.js';
import { briefingPackRoutes } from './briefing-pack/routes.js';
import { outboxBacklog } from './queue/outbox.js';
import type { QueueSet } from './queue/queues.js';
import { QUEUES_BOARD_PATH, registerQueuesBoard } from './admin/queues-board.js';
import { reportRoutes } from './reports/routes.js';
import { exportRoutes } from './exports/routes.js';

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  /** Any process may enqueue: through the outbox, relayed to these queues. */
  queues: QueueSet;
  relay: Relay;
}

const PUBLIC_PREFIXES = ['/docs'];

/** Builds the HTTP application without listening, so tests can use `app.inject`. */
export async function buildApp(deps: AppDeps) {
  const { config, database, logger, queues } = deps;
  const db = database.db;
  const services: ServiceDeps = { db, relay: deps.relay, tuning: config.tuning };

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    genReqId: () => randomUUID(),
    routerOptions: { maxParamLength: 200 },
    // Malformed URLs (bad percent-encoding, over-long parameters) get a problem document too.
    frameworkErrors: (error, request, reply) =>
      frameworkErrorHandler(error, request as FastifyRequest, reply as unknown as FastifyReply),
  }).withTypeProvider<ZodTypeProvider>();

  // The API speaks JSON only: anything else is 415, not a string for the body schema to reject.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);

  app.addHook('onRoute', (route) => {
    if (PUBLIC_PREFIXES.some((prefix) => route.url.startsWith(prefix))) {
      route.config = { ...route.config, access: 'public' };
    }
    if (route.url.startsWith(QUEUES_BOARD_PATH)) {
      route.config = { ...route.config, access: ['platform_admin', 'org_admin'], basicAuth: true };
      route.schema = { ...route.schema, hide: true };
    }
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        // Swagger UI and the printable reports inline their styles and images.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'"],
      },
    },
  });
  await app.register(cors, { origin: config.corsOrigins.length > 0 ? config.corsOrigins : false });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Ward safety briefings API',
        version: '1.0.0',
        description:
          'Daily ward safety briefings, escalation of what the ward cannot fix to named managers, ' +
          'and governance reports. Errors are RFC 9457 problem documents (application/problem+json).',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Opaque API token' } },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  await app.register(authPlugin, {
    db,
    limits: {
      limiter: createRateLimiter(queues.redis, config.queuePrefix, logger),
      authFailures: { limit: config.authFailureLimitPerMinute, windowSeconds: 60 },
      writes: { limit: config.writeLimitPerMinute, windowSeconds: 60 },
    },
  });
  await app.register(idempotencyPlugin, { db });

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
        summary: 'Readiness: the database (and queue) can be reached',
        security: [],
        response: {
          200: readinessSchema,
          503: readinessSchema,
        },
      },
    },
    async (_request, reply) => {
      const [databaseState, queueState] = await Promise.all([probe(() => database.ping()), probe(() => queues.ping())]);
      const backlog = databaseState === 'up' ? await outboxBacklog(db).catch(() => null) : null;
      // Capture works without Redis (the outbox keeps the work), so only the database decides readiness.
      const status = databaseState === 'down' ? 'not_ready' : queueState === 'down' ? 'degraded' : 'ready';
      return reply
        .status(databaseState === 'up' ? 200 : 503)
        .send({ status, checks: { database: databaseState, queue: queueState }, outboxBacklog: backlog });
    },
  );

  app.get(
    '/openapi.json',
    { config: { access: 'public' }, schema: { hide: true } },
    async () => app.swagger(),
  );

  await app.register(organisationRoutes, {
    ...services,
    webhookPolicy: { allowHttpLoopback: config.webhookAllowHttpLoopback },
  });
  await registerQueuesBoard(app, queues);
  for (const routes of [
    wardRoutes,
    staffRoutes,
    tokenRoutes,
    briefingRoutes,
    itemRoutes,
    escalationRoutes,
    notificationRoutes,
    priorityRoutes,
    auditRoutes,
    briefingPackRoutes,
    reportRoutes, exportRoutes,
  ]) {
    await app.register(routes, services);
  }

  return app;
}

const readinessSchema = z.object({
  status: z.enum(['ready', 'degraded', 'not_ready']),
  checks: z.object({ database: z.enum(['up', 'down']), queue: z.enum(['up', 'down']) }),
  outboxBacklog: z.number().int().nullable().describe('Jobs written but not yet handed to the queue'),
});

async function probe(check: () => Promise<void>): Promise<'up' | 'down'> {
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 2_000).unref()),
    ]);
    return 'up';
  } catch {
    return 'down';
  }
}

export type App = Awaited<ReturnType<typeof buildApp>>;
