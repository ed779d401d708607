import { Gauge, Registry } from 'prom-client';
import { registry } from './registry.js';

/** What the gauges read when scraped: cheap queries, each given `timeoutMs` at most. */
export interface MetricSources {
  outbox(): Promise<{ backlog: number; oldestAgeSeconds: number }>;
  timers(): Promise<{ pending: number; overdue: number }>;
  auditUnsealed(): Promise<number>;
  /** A PostgreSQL pool's connections; absent for the embedded database, which has none. */
  pool?: (() => PoolUse) | undefined;
}

export interface PoolUse {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

export interface Scrape {
  contentType: string;
  /** The registry's metrics and the gauges read now, in Prometheus text format. */
  text(): Promise<string>;
}

const SOURCE_TIMEOUT_MS = 2_000;

/**
 * The gauges read from the database at scrape time, for one process's sources. Each gauge's
 * collect() reads one snapshot taken per scrape; a source that fails or takes longer than
 * `timeoutMs` reports NaN in that scrape and sets its wsb_metrics_source_up to 0.
 */
export function createScrape(sources: MetricSources, timeoutMs = SOURCE_TIMEOUT_MS): Scrape {
  const own = new Registry();
  let snapshot: Promise<Snapshot> | null = null;
  // Every collect() of one scrape starts before any finishes, so they share one snapshot.
  const current = () => (snapshot ??= take(sources, timeoutMs).finally(() => (snapshot = null)));
  const gauge = (name: string, help: string, read: (s: Snapshot) => number | undefined) =>
    new Gauge({
      name,
      help,
      registers: [own],
      async collect() {
        // NaN when its source did not answer: no alert compares true on it, and source_up says why.
        this.set(read(await current()) ?? Number.NaN);
      },
    });
  gauge('wsb_outbox_backlog', 'Outbox rows written but not yet handed to the queues', (s) => s.outbox?.backlog);
  gauge(
    'wsb_outbox_oldest_age_seconds',
    'Age of the oldest outbox row (0 when the outbox is empty)',
    (s) => s.outbox?.oldestAgeSeconds,
  );
  gauge('wsb_escalation_timers_pending', 'Escalations whose next step is due in the future', (s) => s.timers?.pending);
  gauge(
    'wsb_escalation_timers_overdue',
    'Escalations whose next step was due and has not been applied',
    (s) => s.timers?.overdue,
  );
  gauge('wsb_audit_events_unsealed', 'Audit events waiting to be sealed into their hash chain', (s) => s.audit);
  new Gauge({
    name: 'wsb_metrics_source_up',
    help: 'Whether a source of the gauges above answered within the scrape timeout (1) or not (0)',
    labelNames: ['source'] as const,
    registers: [own],
    async collect() {
      const taken = await current();
      for (const source of ['outbox', 'timers', 'audit'] as const)
        this.set({ source }, taken[source] === undefined ? 0 : 1);
    },
  });
  if (sources.pool) registerPoolGauges(own, sources.pool);
  return {
    contentType: registry.contentType,
    text: () => Registry.merge([registry, own]).metrics(),
  };
}

interface Snapshot {
  outbox?: { backlog: number; oldestAgeSeconds: number } | undefined;
  timers?: { pending: number; overdue: number } | undefined;
  audit?: number | undefined;
}

async function take(sources: MetricSources, timeoutMs: number): Promise<Snapshot> {
  const [outbox, timers, audit] = await Promise.all([
    bounded(sources.outbox(), timeoutMs),
    bounded(sources.timers(), timeoutMs),
    bounded(sources.auditUnsealed(), timeoutMs),
  ]);
  return { outbox, timers, audit };
}

/** The value, or undefined when the work fails or has not finished within `ms`. */
function bounded<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  return Promise.race([work.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

function registerPoolGauges(own: Registry, pool: () => PoolUse) {
  const gauges: [keyof PoolUse, string, string][] = [
    ['total', 'wsb_db_pool_connections', 'PostgreSQL connections the pool holds open'],
    ['idle', 'wsb_db_pool_idle_connections', 'Pool connections not in use'],
    ['waiting', 'wsb_db_pool_waiting_requests', 'Queries waiting for a pool connection'],
    ['max', 'wsb_db_pool_max_connections', 'The most connections the pool opens'],
  ];
  for (const [field, name, help] of gauges) {
    new Gauge({
      name,
      help,
      registers: [own],
      collect() {
        this.set(pool()[field]);
      },
    });
  }
}
