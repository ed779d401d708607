import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { QUEUES_BOARD_PATH } from '../admin/queues-board.js';
import { PLATFORM_ADMIN } from '../auth/roles.js';
import type { Role } from '../domain/taxonomy.js';
import { problemErrorHandler } from '../http/error-handler.js';
import { declareLayerResponses } from '../http/schemas.js';

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

/**
 * Sees every route as it is added: gives the pages of plugins that cannot declare it (the docs,
 * Bull Board) their access, adds the problem answers every route can give to its schema, and
 * lists the route in `app.routeTable`. Registered before any route.
 */
export const routeTablePlugin = fp(
  async (app: FastifyInstance) => {
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
      for (const method of [route.method].flat())
        routeTable.push({ method, url: route.url, access: route.config?.access });
      declareLayerResponses(route);
      // An error raised while answering an error goes to the next handler in Fastify's chain, whose
      // default answers plain JSON with the error's message (a failed query's SQL). With ours on the
      // route as well, that next handler is ours too.
      // Fastify types errorHandler as returning void but awaits the promise an async handler returns.
      // eslint-disable-next-line @typescript-eslint/no-misused-promises
      route.errorHandler ??= problemErrorHandler;
    });
  },
  { name: 'route-table', dependencies: ['problem-errors'] },
);
