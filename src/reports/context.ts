import { sql } from 'drizzle-orm';
import type { TenantPrincipal } from '../auth/principal.js';
import type { Database, Executor } from '../db/client.js';
import { readSnapshot, rows } from '../db/sql.js';
import { reportPeriod, resolveScope, type ReportFilter, type ReportPeriod, type ReportScope } from './scope.js';

/** What every report statement reads with: the snapshot, the wards covered and the period. */
export interface ReportContext {
  db: Executor;
  scope: ReportScope;
  period: ReportPeriod;
}

/**
 * The databases a report may read: the primary, and the read replica (REPORTS_DATABASE_URL)
 * when one is configured. Reports and exports read the replica; everything else the primary.
 */
export interface ReportDatabases {
  db: Database;
  reportsDb?: Database | undefined;
}

/** Where a report's snapshot was read, and how far behind the primary that was. */
export interface ReportSource {
  readFrom: 'primary' | 'replica';
  /**
   * Seconds of changes committed on the primary that the snapshot may lack: 0 on the primary and
   * on a replica that has replayed all it received; otherwise the time since the last replayed
   * commit (an upper bound: the primary may have committed nothing since).
   */
  lagSeconds: number;
}

/**
 * Opens a report: one read-only snapshot (see readSnapshot) on the replica when there is one,
 * the caller's wards narrowed by the filter (404 outside their reach), and the period as at
 * `now`, stating where it was read and how far behind the primary; then runs `work` inside it.
 */
export function withReportContext<T>(
  databases: ReportDatabases,
  principal: TenantPrincipal,
  filter: ReportFilter,
  now: Date,
  work: (context: ReportContext) => Promise<T>,
): Promise<T> {
  return readSnapshot(databases.reportsDb ?? databases.db, async (db) => {
    const source = await readSource(db);
    const scope = await resolveScope(db, principal, filter);
    const period = reportPeriod(filter.from, filter.to, now, source);
    return work({ db, scope, period });
  });
}

/**
 * On a hot standby (pg_is_in_recovery), the lag is the time between the snapshot's start and the
 * commit time of the last transaction replayed, unless everything received has been replayed
 * (an idle primary sends nothing, and its last commit may be long ago). On the primary: 0.
 */
async function readSource(db: Executor): Promise<ReportSource> {
  const [row] = await rows<{ standby: boolean; lag_seconds: number | null }>(
    db,
    sql`SELECT pg_is_in_recovery() AS standby,
               CASE WHEN NOT pg_is_in_recovery() THEN 0
                    WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
                    ELSE greatest(0, extract(epoch FROM now() - pg_last_xact_replay_timestamp()))
               END::float8 AS lag_seconds`,
  );
  const standby = row?.standby === true;
  // Milliseconds are as fine as a commit timestamp means anything here.
  const lagSeconds = Math.round(Number(row?.lag_seconds ?? 0) * 1000) / 1000;
  return { readFrom: standby ? 'replica' : 'primary', lagSeconds };
}
