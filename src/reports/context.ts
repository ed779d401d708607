import type { TenantPrincipal } from '../auth/principal.js';
import type { Database, Executor } from '../db/client.js';
import { readSnapshot } from '../db/sql.js';
import { reportPeriod, resolveScope, type ReportFilter, type ReportPeriod, type ReportScope } from './scope.js';

/** What every report statement reads with: the snapshot, the wards covered and the period. */
export interface ReportContext {
  db: Executor;
  scope: ReportScope;
  period: ReportPeriod;
}

/**
 * Opens a report: one read-only snapshot (see readSnapshot), the caller's wards narrowed by the
 * filter (404 outside their reach), and the period as at `now`; then runs `work` inside it.
 */
export function withReportContext<T>(
  database: Database,
  principal: TenantPrincipal,
  filter: ReportFilter,
  now: Date,
  work: (context: ReportContext) => Promise<T>,
): Promise<T> {
  return readSnapshot(database, async (db) => {
    const scope = await resolveScope(db, principal, filter);
    const period = reportPeriod(filter.from, filter.to, now);
    return work({ db, scope, period });
  });
}
