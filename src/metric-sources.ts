import { unsealedAuditCount } from './audit/sealer.js';
import type { DatabaseHandle } from './db/client.js';
import { timerCounts } from './escalations/timer.js';
import type { MetricSources } from './metrics/scrape.js';
import { outboxStats } from './queue/outbox.js';

/** What the gauges of GET /metrics read at scrape time, each from the feature that owns the rows. */
export function metricSources(database: DatabaseHandle): MetricSources {
  return {
    outbox: () => outboxStats(database.db),
    timers: () => timerCounts(database.db),
    auditUnsealed: () => unsealedAuditCount(database.db),
    pool: database.poolUse,
  };
}
