import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import { authPlugin } from './auth/plugin.js';
import { PLATFORM_ADMIN } from './auth/roles.js';
import type { Role } from './domain/taxonomy.js';
import { tokenRoutes } from './auth/routes.js';
import { briefingRoutes } from './briefings/routes.js';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/client.js';
import { relayAfterCommit, transactionAware } from './db/request-transaction.js';
import {
  AppError,
  clientErrorHandler,
  frameworkErrorHandler,
  newRequestId,
  problemErrorHandler,
  registerErrorHandling,
} from './http/errors.js';
import { absentBodyAwareValidator, readJsonBodies } from './http/bodies.js';
import { idempotencyPlugin } from './http/idempotency.js';
import { declareLayerResponses } from './http/schemas.js';
import { createRateLimiter } from './http/rate-limit.js';
import { answerAfterTheBody } from './http/unread-body.js';
import { gracefulClose } from './http/shutdown.js';
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
import { probe, withTimeout } from './health/probe.js';
import { QUEUE_NAMES, type QueueSet } from './queue/queues.js';
import { QUEUES_BOARD_PATH, registerQueuesBoard } from './admin/queues-board.js';
import { reportRoutes } from './reports/routes.js';
import { exportRoutes } from './exports/routes.js';
import { swaggerOptions } from './openapi/definition.js';

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  /** Any process may enqueue: through the outbox, relayed to these queues. */
  queues: QueueSet;
  relay: Relay;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Every route as registered, with who may call it. The OpenAPI document leaves some out
     * (Bull Board, the docs pages), so the access tests walk this too.
     */
    routeTable: readonly RouteEntry[];
  }
}

export interface RouteEntry {
  method: string;
  url: string;
  access: 'public' | readonly Role[] | undefined;
}

const PUBLIC_PREFIXES = ['/docs'];
/** What of a body nobody read is read (and discarded) before answering, at most. */
const UNREAD_BODY_MAX_BYTES = 16 * 1024 * 1024;
const UNREAD_BODY_MAX_MS = 10_000;
/** How long closing waits for requests whose client went away before the process moves on. */
const SHUTDOWN_DRAIN_TIMEOUT_MS = 10_000;

/** Builds the HTTP application without listening, so tests can use `app.inject`. */
export async function buildApp(deps: AppDeps) {
  const { config, database, logger, queues } = deps;
  const db = database.db;
  // In a POST with an Idempotency-Key, services write into the request's transaction and the
  // outbox relay is asked to move what they wrote once it commits (src/db/request-transaction.ts).
  const services: ServiceDeps = { db: transactionAware(db), relay: relayAfterCommit(deps.relay), tuning: config.tuning };

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    genReqId: newRequestId,
    routerOptions: { maxParamLength: 200 },
    // While closing, requests are answered by gracefulClose (a problem document), not Fastify.
    return503OnClosing: false,
    // Malformed URLs (bad percent-encoding, over-long parameters) get a problem document too.
    clientErrorHandler,
    frameworkErrors: (error, request, reply) =>
      frameworkErrorHandler(error, request as FastifyRequest, reply as unknown as FastifyReply),
  }).withTypeProvider<ZodTypeProvider>();

  readJsonBodies(app);
  app.setValidatorCompiler(absentBodyAwareValidator);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  // A refusal given before the body was read still reaches a client that sends its whole body.
  answerAfterTheBody(app, { maxBytes: Math.max(UNREAD_BODY_MAX_BYTES, 8 * config.bodyLimitBytes), maxMs: UNREAD_BODY_MAX_MS });

  const routeTable: RouteEntry[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    if (PUBLIC_PREFIXES.some((prefix) => route.url.startsWith(prefix))) {
      route.config = { ...route.config, access: 'public' };
    }
    if (route.url.startsWith(QUEUES_BOARD_PATH)) {
      // The queues hold every organisation's timers and webhooks: the platform administrator's only.
      route.config = { ...route.config, access: PLATFORM_ADMIN, basicAuth: true };
      route.schema = { ...route.schema, hide: true };
    }
    for (const method of [route.method].flat()) routeTable.push({ method, url: route.url, access: route.config?.access });
    declareLayerResponses(route);
    // An error raised while answering an error goes to the next handler in Fastify's chain, whose
    // default answers plain JSON with the error's message (a failed query's SQL). With ours on the
    // route as well, that next handler is ours too.
    route.errorHandler ??= problemErrorHandler;
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // Input PostgreSQL cannot store (NUL, lone surrogates) or that is absurdly deep is refused
  // up front with a clear answer, before any schema, hash or query sees it.
  app.addHook('preValidation', async (request) => {
    const problem = unstorableInput(request.body, 'body') ?? unstorableInput(request.query, 'querystring');
    if (problem) {
      throw new AppError('validation_failed', `${problem.path}: ${problem.message}`, { errors: [problem] });
    }
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
  // After the hooks that put headers on every answer, before any that does work.
  const closing = gracefulClose(app, { drainTimeoutMs: SHUTDOWN_DRAIN_TIMEOUT_MS });

  await app.register(swagger, swaggerOptions());
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
  closing.registerLastOnSend(); // after the Idempotency-Key hook, before the routes

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
        databaseState === 'up' ? outboxBacklog(db).catch(() => null) : null,
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

const MAX_INPUT_DEPTH = 32;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isWellFormed = (text: string) => !LONE_SURROGATE.test(text);

/** The first string or key PostgreSQL could not store, or nesting beyond MAX_INPUT_DEPTH. */
function unstorableInput(root: unknown, rootPath: string): { path: string; message: string } | null {
  const stack: [unknown, string, number][] = [[root, rootPath, 0]];
  while (stack.length > 0) {
    const [value, path, depth] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return { path, message: 'must not contain NUL characters' };
      if (!isWellFormed(value)) return { path, message: 'must be valid Unicode text' };
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) return { path, message: `is nested more than ${MAX_INPUT_DEPTH} levels deep` };
    for (const [key, child] of Object.entries(value)) {
      if (key.includes('\u0000') || !isWellFormed(key)) return { path, message: 'has a field name that is not valid text' };
      stack.push([child, `${path}.${key}`, depth + 1]);
    }
  }
  return null;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
