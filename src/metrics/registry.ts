import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * The process's metrics: one registry, owned here. Features record what happens through the
 * small functions below and never use prom-client themselves; the gauges read from PostgreSQL
 * at scrape time are in scrape.ts.
 */
export const registry = new Registry();

// Process metrics, event-loop lag among them (nodejs_eventloop_lag_seconds and its percentiles,
// from monitorEventLoopDelay).
collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });

const httpDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Time from a request arriving to its answer being sent, by route pattern and status',
  labelNames: ['method', 'route', 'status_code'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

const timerLag = new Histogram({
  name: 'wsb_escalation_timer_lag_seconds',
  help: "How late an escalation step was applied: from the step's due time to the commit of its change",
  buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600],
  registers: [registry],
});

const webhookFailures = new Counter({
  name: 'wsb_webhook_delivery_failures_total',
  help: 'Webhook delivery attempts that failed (the receiver answered other than 2xx, or could not be reached)',
  registers: [registry],
});

const webhookAbandoned = new Counter({
  name: 'wsb_webhook_deliveries_abandoned_total',
  help: 'Webhook events given up after their last attempt failed',
  registers: [registry],
});

/** A request the HTTP layer answered. `route` is the route's pattern (never the raw URL), or null when no route matched. */
export function observeHttpRequest(method: string, route: string | null, statusCode: number, seconds: number) {
  httpDuration.observe({ method, route: route ?? 'unmatched', status_code: String(statusCode) }, seconds);
}

/** An escalation step was applied `seconds` after its due time. */
export function observeTimerLag(seconds: number) {
  timerLag.observe(Math.max(0, seconds));
}

/** A webhook delivery attempt failed; `abandoned` when it was the event's last. */
export function countWebhookFailure({ abandoned }: { abandoned: boolean }) {
  webhookFailures.inc();
  if (abandoned) webhookAbandoned.inc();
}
