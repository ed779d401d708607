import Fastify, { type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
// Modules register their named schemas as they load, in the order of the OpenAPI document's
// components: keep this import order (`npm run openapi` shows any change).
import { authPlugin } from './auth/plugin.js';
import { createJwtSignIn } from './identity/sign-in.js';
import { tokenRoutes } from './tokens/routes.js';
import { briefingRoutes } from './briefings/routes.js';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/client.js';
import { relayAfterCommit, transactionAware } from './db/request-transaction.js';
import { problemErrorsPlugin } from './http/error-handler.js';
import { newRequestId } from './http/errors.js';
import { clientErrorHandler, frameworkErrorHandler } from './http/refusals.js';
import { jsonBodiesPlugin } from './http/bodies.js';
import { idempotencyPlugin } from './http/idempotency.js';
import { routeTablePlugin } from './routing/route-table.js';
import { createRateLimiter } from './http/rate-limit.js';
import { unreadBodyPlugin } from './http/unread-body.js';
import { gracefulClosePlugin, lastOnSendPlugin } from './http/shutdown.js';
import { requestGuardsPlugin } from './http/request-guards.js';
import { securityHeadersPlugin } from './http/security-headers.js';
import { itemRoutes } from './items/routes.js';
import { correctionRoutes } from './corrections/routes.js';
import { organisationRoutes } from './organisations/routes.js';
import { staffRoutes } from './staff/routes.js';
import { coverRoutes } from './cover/routes.js';
import { wardRoutes } from './wards/routes.js';
import type { Relay, ServiceDeps } from './deps.js';
import { escalationRoutes } from './escalations/routes.js';
import { notificationRoutes } from './notifications/routes.js';
import { priorityRoutes } from './priorities/routes.js';
import { seniorReviewRoutes } from './alignment/senior-review-routes.js';
import { levelsRoutes } from './reports/levels-routes.js';
import { auditRoutes } from './audit/routes.js';
import { briefingPackRoutes } from './briefing-pack/routes.js';
import { operationsRoutes } from './health/routes.js';
import type { QueueSet } from './queue/queues.js';
import { registerQueuesBoard } from './admin/queues-board.js';
import { reportRoutes } from './reports/routes.js';
import { exportRoutes } from './exports/routes.js';
import { apiDocsPlugin } from './api-docs/plugin.js';
import { httpMetricsPlugin, metricsRoutes } from './metrics/http.js';
import { createScrape } from './metrics/scrape.js';
import { metricSources } from './metric-sources.js';
import { traceRoutesPlugin } from './tracing/http.js';

export type { RouteEntry } from './routing/route-table.js';

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  /** Any process may enqueue: through the outbox, relayed to these queues. */
  queues: QueueSet;
  relay: Relay;
  /** The read replica reports and exports read (REPORTS_DATABASE_URL), when there is one. */
  reportsDatabase?: DatabaseHandle | undefined;
}

/** What of a body nobody read is read (and discarded) before answering, at most. */
const UNREAD_BODY_MAX_BYTES = 16 * 1024 * 1024;
const UNREAD_BODY_MAX_MS = 10_000;
/** How long closing waits for requests whose client went away before the process moves on. */
const SHUTDOWN_DRAIN_TIMEOUT_MS = 10_000;

/**
 * Builds the HTTP application without listening, so tests can use `app.inject`. Each plugin
 * names the plugins it needs before it, and Fastify refuses to start if one is missing or later.
 * Hooks run in the order they were added, and routes are documented in the order they are
 * registered (the OpenAPI document's path order), so the list below is the order.
 */
export async function buildApp(deps: AppDeps) {
  const { config, database, logger, queues } = deps;
  const app = Fastify(fastifyOptions(config, logger)).withTypeProvider<ZodTypeProvider>();

  await app.register(httpMetricsPlugin);
  await app.register(traceRoutesPlugin);
  await app.register(jsonBodiesPlugin);
  await app.register(problemErrorsPlugin);
  // A refusal given before the body was read still reaches a client that sends its whole body.
  await app.register(unreadBodyPlugin, {
    maxBytes: Math.max(UNREAD_BODY_MAX_BYTES, 8 * config.bodyLimitBytes),
    maxMs: UNREAD_BODY_MAX_MS,
  });
  await app.register(routeTablePlugin);
  await app.register(requestGuardsPlugin);
  await app.register(securityHeadersPlugin, { corsOrigins: config.corsOrigins });
  await app.register(gracefulClosePlugin, { drainTimeoutMs: SHUTDOWN_DRAIN_TIMEOUT_MS });
  await app.register(apiDocsPlugin);
  await app.register(authPlugin, {
    db: database.db,
    limits: {
      limiter: createRateLimiter(queues.redis, config.queuePrefix, logger),
      authFailures: { limit: config.authFailureLimitPerMinute, windowSeconds: 60 },
      writes: { limit: config.writeLimitPerMinute, windowSeconds: 60 },
    },
    signIn: createJwtSignIn(database.db, config.oidc, logger),
  });
  await app.register(idempotencyPlugin, { db: database.db });
  await app.register(lastOnSendPlugin);

  await app.register(operationsRoutes, { database, queues });
  if (config.metricsToken) {
    await app.register(metricsRoutes, { token: config.metricsToken, scrape: createScrape(metricSources(database)) });
  }
  await registerFeatureRoutes(app, deps);
  return app;
}

function fastifyOptions(config: Config, logger: Logger) {
  return {
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    genReqId: newRequestId,
    routerOptions: { maxParamLength: 200 },
    // While closing, requests are answered by gracefulClosePlugin (a problem document), not Fastify.
    return503OnClosing: false,
    // Malformed URLs (bad percent-encoding, over-long parameters) get a problem document too.
    clientErrorHandler,
    frameworkErrors: (error: Parameters<typeof frameworkErrorHandler>[0], request: unknown, reply: unknown) =>
      frameworkErrorHandler(error, request as FastifyRequest, reply as FastifyReply),
  };
}

const FEATURE_ROUTES = [
  wardRoutes,
  staffRoutes,
  coverRoutes,
  tokenRoutes,
  briefingRoutes,
  itemRoutes,
  correctionRoutes,
  escalationRoutes,
  notificationRoutes,
  priorityRoutes,
  seniorReviewRoutes,
  auditRoutes,
  briefingPackRoutes,
  reportRoutes,
  levelsRoutes,
  exportRoutes,
];

async function registerFeatureRoutes(app: App, deps: AppDeps) {
  // In a POST with an Idempotency-Key, services write into the request's transaction and the
  // outbox relay is asked to move what they wrote once it commits (src/db/request-transaction.ts).
  const services: ServiceDeps = {
    db: transactionAware(deps.database.db),
    relay: relayAfterCommit(deps.relay),
    tuning: deps.config.tuning,
    // Reports only read, in their own snapshot: never the request's transaction.
    reportsDb: deps.reportsDatabase?.db,
    tokenLifetimes: deps.config.tokenLifetimes,
  };
  await app.register(organisationRoutes, {
    ...services,
    webhookPolicy: { allowHttpLoopback: deps.config.webhookAllowHttpLoopback },
    oidc: deps.config.oidc,
  });
  await registerQueuesBoard(app, deps.queues);
  for (const routes of FEATURE_ROUTES) await app.register(routes, services);
}

export type App = Awaited<ReturnType<typeof buildApp>>;
