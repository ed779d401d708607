/**
 * Loaded with `node --import ./dist/tracing/register.js` (npm start, the container): when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set, tracing starts before the service loads pg, ioredis and the
 * HTTP server, and ESM imports of them are hooked so their instrumentations apply. Unset: nothing
 * is loaded and the service runs without traces.
 */
import { register } from 'node:module';

if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const { startTracing } = await import('./setup.js');
  // The service sends the spans still buffered as the last step of its shutdown (src/main.ts).
  startTracing();
}
