/**
 * Open threats ranked for choosing quality-improvement targets, by the HFMEA-style hazard
 * score of domain/hazard.ts (severity from the 5x5 consequence, probability from observed
 * recurrence in the window, plus age).
 */
import type { TenantPrincipal } from '../auth/principal.js';
import type { Database, Executor } from '../db/client.js';
import { assessHazard, compareThreats } from '../domain/hazard.js';
import type { ItemCategory, ItemKind } from '../domain/taxonomy.js';
import type { z } from 'zod';
import type { threatsReportSchema } from './schemas.js';
import { presentPeriod, presentScope, reportPeriod, resolveScope, type ReportPeriod } from './scope.js';
import { latestRaisings, openThreatThreads, type ThreatThreadRow } from './threats-queries.js';
import { readSnapshot } from '../db/sql.js';
import { screenedText } from './text.js';
import { topN } from './top.js';

type ThreatsReport = z.infer<typeof threatsReportSchema>;

/** Pure: the hazard assessment of every open thread; the first `limit` in ranking order. */
export function rankThreats(threads: ThreatThreadRow[], period: ReportPeriod, limit: number) {
  function* assessed() {
    for (const t of threads) {
      const ageDays = Number(t.days_open);
      const raisingsInWindow = Number(t.raised_in_period);
      yield {
        thread: t,
        threadId: t.thread_id,
        ageDays,
        raisingsInWindow,
        ...assessHazard({ consequence: Number(t.consequence), raisingsInWindow, windowDays: period.days, ageDays }),
      };
    }
  }
  return topN(assessed(), limit, compareThreats);
}

export function threatsReport(
  database: Database,
  principal: TenantPrincipal,
  request: { from: string; to: string; wardId?: string | undefined; division?: string | undefined; limit: number },
  now = new Date(),
): Promise<ThreatsReport> {
  return readSnapshot(database, (db) => rankedThreats(db, principal, request, now));
}

async function rankedThreats(
  db: Executor,
  principal: TenantPrincipal,
  request: { from: string; to: string; wardId?: string | undefined; division?: string | undefined; limit: number },
  now: Date,
): Promise<ThreatsReport> {
  const scope = await resolveScope(db, principal, request);
  const period = reportPeriod(request.from, request.to, now);
  const threads = await openThreatThreads(db, scope, period);
  const shown = rankThreats(threads, period, request.limit);
  const latest = shown.length > 0 ? await latestRaisings(db, scope, period, shown.map((t) => t.threadId)) : [];
  const byThread = new Map(latest.map((i) => [i.thread_id, i]));
  return {
    scope: presentScope(scope),
    period: presentPeriod(period),
    total: threads.length,
    threats: shown.flatMap((t, index) => {
      const item = byThread.get(t.threadId);
      if (!item) return [];
      return [
        {
          rank: index + 1,
          threadId: t.threadId,
          latestItemId: item.id,
          ward: scope.wards.find((w) => w.id === item.ward_id) ?? { id: item.ward_id, code: '', name: '', division: null },
          kind: item.kind as ItemKind,
          category: item.category as ItemCategory,
          description: screenedText(item.description),
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
