import { context, propagation } from '@opentelemetry/api';
import type { Telemetry } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';

/**
 * What the service's code asks of tracing: the W3C traceparent of the work in hand (stored with
 * an outbox row, so that the job it becomes continues the trace), and BullMQ's telemetry. Both
 * are inert until startTracing() (src/tracing/setup.ts) has run in this process.
 */

let telemetry: Telemetry | undefined;
let shutdown: (() => Promise<void>) | undefined;

/** Called once tracing is set up: queues and workers created from now on make spans. */
export function markTracingStarted(stop: () => Promise<void>) {
  telemetry = new BullMQOtel({ tracerName: 'ward-safety-briefings.queues' });
  shutdown = stop;
}

/** Sends the spans still buffered and stops tracing (the last step of a process's shutdown). */
export async function stopTracing() {
  const stop = shutdown;
  telemetry = undefined;
  shutdown = undefined;
  await stop?.();
}

/** Whether startTracing() has run in this process. */
export const tracingStarted = () => telemetry !== undefined;

/** BullMQ's telemetry for a Queue or Worker; undefined while tracing is off. */
export const queueTelemetry = (): Telemetry | undefined => telemetry;

/** The traceparent of the active span (a request's, a job's), or null when tracing is off or none is active. */
export function currentTraceparent(): string | null {
  if (!telemetry) return null;
  const carrier: { traceparent?: string } = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** A job's telemetry option carrying a stored traceparent: its worker's span continues that trace. */
export const jobTelemetry = (traceparent: string | null) =>
  traceparent ? { metadata: JSON.stringify({ traceparent }) } : undefined;
