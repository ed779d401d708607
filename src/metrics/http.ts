import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../http/errors.js';
import { observeHttpRequest } from './registry.js';
import type { Scrape } from './scrape.js';
import { carriesMetricsToken } from './token.js';

/** Observes every answer's duration, labelled with the route's pattern (never the URL itself) and its status. */
export const httpMetricsPlugin = fp(
  async (app: FastifyInstance) => {
    // A callback hook, not an async one: no promise per request for what is a few counter updates.
    app.addHook('onResponse', (request, reply, done) => {
      observeHttpRequest(request.method, request.routeOptions.url ?? null, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  },
  { name: 'http-metrics' },
);

export const METRICS_PATH = '/metrics';

/**
 * GET /metrics for Prometheus: outside the OpenAPI document and the API's tokens, behind a token
 * of its own (METRICS_TOKEN), sent as a bearer token. Registered only when that token is set.
 */
export const metricsRoutes = fp(
  async (app: FastifyInstance, { token, scrape }: { token: string; scrape: Scrape }) => {
    app.get(METRICS_PATH, { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
      if (!carriesMetricsToken(request.headers.authorization, token)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        throw new AppError('unauthenticated', 'The metrics token is required, as "Authorization: Bearer <token>"');
      }
      const text = await scrape.text();
      return reply.header('content-type', scrape.contentType).header('cache-control', 'no-store').send(text);
    });
  },
  { name: 'metrics-routes', dependencies: ['route-table', 'auth'], encapsulate: true },
);
