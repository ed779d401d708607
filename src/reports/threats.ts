/**
 * Open threats ranked for choosing quality-improvement targets, by the HFMEA-style hazard
 * score of domain/hazard.ts (severity from the 5x5 consequence, probability from observed
 * recurrence in the window, plus age).
 */
import type { TenantPrincipal } from '../auth/principal.js';
import type { Database } from '../db/client.js';
import { daysBetween } from '../domain/calendar.js';
import { assessHazard, compareThreats } from '../domain/hazard.js';
import type { ItemCategory, ItemKind } from '../domain/taxonomy.js';
import type { z } from 'zod';
import type { threatsReportSchema } from './schemas.js';
import { presentPeriod, presentScope, reportPeriod, resolveScope, type ReportPeriod } from './scope.js';
import { latestItems, openThreatThreads, type ThreatThreadRow } from './threats-queries.js';
import { screenedText } from './text.js';

type ThreatsReport = z.infer<typeof threatsReportSchema>;

/** Pure: hazard assessment of every open thread, in ranking order. */
export function rankThreats(threads: ThreatThreadRow[], period: ReportPeriod) {
  return threads
    .map((t) => {
      const ageDays = Math.max(0, daysBetween(t.first_raised_on, period.asOfDate));
      const raisingsInWindow = Number(t.raisings_in_window);
      return {
        thread: t,
        threadId: t.thread_id,
        ageDays,
        raisingsInWindow,
        ...assessHazard({ consequence: Number(t.consequence), raisingsInWindow, windowDays: period.days, ageDays }),
      };
    })
    .sort(compareThreats);
}

export async function threatsReport(
  db: Database,
  principal: TenantPrincipal,
  request: { from: string; to: string; wardId?: string | undefined; division?: string | undefined; limit: number },
  now = new Date(),
): Promise<ThreatsReport> {
  const scope = await resolveScope(db, principal, request);
  const period = reportPeriod(request.from, request.to, now);
  const ranked = rankThreats(await openThreatThreads(db, scope, period), period);
  const shown = ranked.slice(0, request.limit);
  const latest = shown.length > 0 ? await latestItems(db, scope, shown.map((t) => t.thread.latest_item_id)) : [];
  const byId = new Map(latest.map((i) => [i.id, i]));
  return {
    scope: presentScope(scope),
    period: presentPeriod(period),
    total: ranked.length,
    threats: shown.flatMap((t, index) => {
      const item = byId.get(t.thread.latest_item_id);
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
