import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Names a request's HTTP span after its route pattern (`POST /v1/briefings`, never the URL with
 * its ids) and sets `http.route`: the HTTP instrumentation reads the route from the request's
 * context when the span ends. Does nothing while tracing is off.
 */
export const traceRoutesPlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request) => {
      const metadata = getRPCMetadata(context.active());
      if (metadata?.type === RPCType.HTTP && request.routeOptions.url) metadata.route = request.routeOptions.url;
    });
  },
  { name: 'trace-routes' },
);
