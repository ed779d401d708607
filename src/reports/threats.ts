/**
 * Open threats ranked for choosing quality-improvement targets, by the HFMEA-style hazard
 * score of domain/hazard.ts (severity from the 5x5 consequence, probability from observed
 * recurrence in the window, plus age).
 */
import type { z } from 'zod';
import type { TenantPrincipal } from '../auth/principal.js';
import { daysInclusive } from '../domain/calendar.js';
import { assessHazard, compareThreats } from '../domain/hazard.js';
import { withReportContext, type ReportDatabases } from './context.js';
import type { ThreatsQuery, threatsReportSchema } from './schemas.js';
import { presentPeriod, presentScope, type ReportPeriod, type ReportScope } from './scope.js';
import type { LatestRaisingRow } from './sql.js';
import { latestRaisings, openThreatThreads, type ThreatThreadRow } from './threats-queries.js';
import { threadHeadline } from './threads.js';
import { topN } from './top.js';

type ThreatsReport = z.infer<typeof threatsReportSchema>;
type RankedThreat = ReturnType<typeof rankThreats>[number];

/** Pure: the hazard assessment of every open thread; the first `limit` in ranking order. */
export function rankThreats(threads: ThreatThreadRow[], period: ReportPeriod, limit: number) {
  // Recurrence is a rate over the days the window has had so far: a period still running has
  // seen only the raisings up to its as-at date.
  const windowDays = Math.max(1, daysInclusive(period.from, period.asOfDate));
  function* assessed() {
    for (const t of threads) {
      const ageDays = Number(t.days_open);
      const raisingsInWindow = Number(t.raised_in_period);
      yield {
        thread: t,
        threadId: t.thread_id,
        ageDays,
        raisingsInWindow,
        ...assessHazard({ consequence: Number(t.consequence), raisingsInWindow, windowDays, ageDays }),
      };
    }
  }
  return topN(assessed(), limit, compareThreats);
}

/** GET /v1/reports/threats */
export function threatsReport(
  databases: ReportDatabases,
  principal: TenantPrincipal,
  request: ThreatsQuery,
  now = new Date(),
): Promise<ThreatsReport> {
  return withReportContext(databases, principal, request, now, async ({ db, scope, period }) => {
    const threads = await openThreatThreads(db, scope, period);
    const shown = rankThreats(threads, period, request.limit);
    const latest =
      shown.length > 0
        ? await latestRaisings(
            db,
            scope,
            period,
            shown.map((t) => t.threadId),
          )
        : [];
    return presentThreats(scope, period, threads.length, shown, latest);
  });
}

/** Pure: the report from the ranked threads and their latest raisings. */
export function presentThreats(
  scope: ReportScope,
  period: ReportPeriod,
  total: number,
  shown: RankedThreat[],
  latest: LatestRaisingRow[],
): ThreatsReport {
  const byThread = new Map(latest.map((i) => [i.thread_id, i]));
  return {
    scope: presentScope(scope),
    period: presentPeriod(period),
    total,
    threats: shown.flatMap((t, index) => {
      const item = byThread.get(t.threadId);
      if (!item) return [];
      return [
        {
          ...threadHeadline(scope, index + 1, t.threadId, item),
          consequence: Number(t.thread.consequence),
          maxRiskScore: t.thread.risk_score === null ? null : Number(t.thread.risk_score),
          firstRaisedOn: t.thread.first_raised_on,
          lastRaisedOn: t.thread.last_raised_on,
          timesRaised: Number(t.thread.times_raised),
          raisingsInWindow: t.raisingsInWindow,
          ageDays: t.ageDays,
          severity: t.severity,
          probability: t.probability,
          hazardScore: t.hazardScore,
          ageBonus: t.ageBonus,
          rankScore: t.rankScore,
          proceedToAction: t.proceedToAction,
        },
      ];
    }),
  };
}
