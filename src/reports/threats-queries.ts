/** SQL of the threat ranking: open threads with their recurrence in the window. Read-only. */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import type { ReportPeriod, ReportScope } from './scope.js';
import { openThreadsSql, periodParams, rows, type OpenThreadRow } from './sql.js';

/** An open thread of graded problems and risks: it always has a consequence. */
export type ThreatThreadRow = OpenThreadRow & { consequence: number };

/** Threads of problems and risks raised up to `to` and still open at `asOf` (see openThreadsSql). */
export function openThreatThreads(db: Executor, scope: ReportScope, period: ReportPeriod) {
  return rows<ThreatThreadRow>(db, openThreadsSql(scope, period, { gradedOnly: true }));
}

/** The latest raising (up to `to`) of each of the given threads, in one statement. */
export function latestRaisings(db: Executor, scope: ReportScope, period: ReportPeriod, threadIds: string[]) {
  const p = periodParams(period);
  return rows<{ thread_id: string; id: string; ward_id: string; kind: string; category: string; description: string }>(
    db,
    sql`
      SELECT t.thread_id, latest.id, latest.ward_id, latest.kind, latest.category, latest.description
      FROM unnest(string_to_array(${threadIds.join(',')}, ',')::uuid[]) AS t(thread_id)
      JOIN LATERAL (
        SELECT i.id, i.ward_id, i.kind, i.category, i.description FROM items i
        WHERE i.organisation_id = ${scope.organisation.id}::uuid
          AND (i.id = t.thread_id OR i.thread_id = t.thread_id)
          AND i.raised_on <= ${p.to}
        ORDER BY i.raised_on DESC, i.created_at DESC, i.id DESC
        LIMIT 1
      ) latest ON true`,
  );
}
