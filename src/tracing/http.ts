import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { tracingStarted } from './context.js';

/**
 * Names a request's HTTP span after its route pattern (`POST /v1/briefings`, never the URL with
 * its ids) and sets `http.route`: the HTTP instrumentation reads the route from the request's
 * context when the span ends. Adds nothing while tracing is off (tracing starts before the app is built).
 */
export const traceRoutesPlugin = fp(
  async (app: FastifyInstance) => {
    if (!tracingStarted()) return; // no hook at all while tracing is off
    app.addHook('onRequest', (request, _reply, done) => {
      const metadata = getRPCMetadata(context.active());
      if (metadata?.type === RPCType.HTTP && request.routeOptions.url) metadata.route = request.routeOptions.url;
      done();
    });
  },
  { name: 'trace-routes' },
);
