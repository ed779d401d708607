import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { markTracingStarted } from './context.js';

export interface Tracing {
  /** Sends the spans still buffered, then stops tracing. */
  shutdown(): Promise<void>;
}

/**
 * Sets up OpenTelemetry tracing for this process: the W3C trace context, spans for incoming HTTP
 * requests, PostgreSQL queries (pg), Redis commands (ioredis) and BullMQ jobs. Must run before
 * pg, ioredis and the HTTP server are loaded (`--import` of register.ts does so). Spans go to
 * `processor`: by default a batch exporter to OTEL_EXPORTER_OTLP_ENDPOINT (OTLP over HTTP).
 */
export function startTracing(options: { processor?: SpanProcessor; serviceName?: string } = {}): Tracing {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName ?? process.env.OTEL_SERVICE_NAME ?? 'ward-safety-briefings',
    }),
    spanProcessors: [options.processor ?? new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })],
  });
  trace.setGlobalTracerProvider(provider);
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Probes and scrapes every few seconds would drown the requests that matter.
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => /^\/(health|ready|metrics)(\?|$)/.test(request.url ?? ''),
      }),
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  const shutdown = async () => {
    await provider.shutdown();
    unregister();
    contextManager.disable();
  };
  markTracingStarted(shutdown);
  return { shutdown };
}
