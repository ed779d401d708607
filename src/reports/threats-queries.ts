/** SQL of the threat ranking: open threads with their recurrence in the window. Read-only. */
import type { Executor } from '../db/client.js';
import type { ReportPeriod, ReportScope } from './scope.js';
import { rows } from '../db/sql.js';
import { latestRaisingsSql, openThreadsSql, type LatestRaisingRow, type OpenThreadRow } from './sql.js';

/** An open thread of graded problems and risks: it always has a consequence. */
export type ThreatThreadRow = OpenThreadRow & { consequence: number };

/** Threads of problems and risks raised up to `to` and still open at `asOf` (see openThreadsSql). */
export function openThreatThreads(db: Executor, scope: ReportScope, period: ReportPeriod) {
  return rows<ThreatThreadRow>(db, openThreadsSql(scope, period, { gradedOnly: true }));
}

/** The latest raising (up to `to`) of each of the given threads (see latestRaisingsSql). */
export function latestRaisings(db: Executor, scope: ReportScope, period: ReportPeriod, threadIds: string[]) {
  return rows<LatestRaisingRow>(db, latestRaisingsSql(scope, period, threadIds));
}
