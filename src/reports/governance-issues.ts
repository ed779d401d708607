/** The board pack's persistent issues and priorities: pure, from the grouped rows. */
import type { Tuning } from '../deps.js';
import type { Stance } from '../domain/escalation.js';
import { byPersistence, isPersistent, persistenceRank, type RankedThread as Ranked } from '../domain/persistence.js';
import { ratio } from './governance-fidelity.js';
import type { PriorityRow, ThreadDetailRow } from './governance-queries.js';
import type { GovernancePack } from './schemas.js';
import { wardOf, type ReportScope } from './scope.js';
import type { OpenThreadRow } from './sql.js';
import { screenedText } from './text.js';
import { threadHeadline } from './threads.js';
import { TopN } from './top.js';

export const PERSISTENT_ISSUES_SHOWN = 10;

export interface RankedThread extends OpenThreadRow {
  daysOpen: number;
  score: number;
}

interface Candidate extends Ranked {
  row: OpenThreadRow;
}

/**
 * The open threads that are persistent by the service's rule (domain/persistence.ts), offered one
 * at a time as they are read; only the most persistent `shown` are kept.
 */
export class PersistentRanking {
  private readonly top: TopN<Candidate>;
  private readonly thresholds: { minRaised: number; minDaysOpen: number };

  constructor(tuning: Tuning, shown = PERSISTENT_ISSUES_SHOWN) {
    this.top = new TopN<Candidate>(shown, byPersistence);
    this.thresholds = { minRaised: tuning.persistentMinRaised, minDaysOpen: tuning.persistentMinDays };
  }

  offer(row: OpenThreadRow): void {
    const stats = {
      riskScore: Number(row.risk_score ?? 0),
      timesRaised: Number(row.times_raised),
      daysOpen: Number(row.days_open),
    };
    if (isPersistent(stats, this.thresholds)) {
      this.top.offer({ row, ...stats, rank: persistenceRank(stats), threadId: row.thread_id });
    }
  }

  /** Most persistent first; only the few shown are copied. */
  ranked(): RankedThread[] {
    return this.top.items().map(({ row, daysOpen, rank }) => ({ ...row, daysOpen, score: rank }));
  }
}

/** Open threads that are persistent by the service's rule (domain/persistence.ts), most persistent first. */
export function topPersistent(
  threads: Iterable<OpenThreadRow>,
  tuning: Tuning,
  shown = PERSISTENT_ISSUES_SHOWN,
): RankedThread[] {
  const ranking = new PersistentRanking(tuning, shown);
  for (const row of threads) ranking.offer(row);
  return ranking.ranked();
}

export function persistentSection(
  scope: ReportScope,
  top: RankedThread[],
  details: ThreadDetailRow[],
): GovernancePack['persistentIssues'] {
  return top.flatMap((thread, index) => {
    const detail = details.find((d) => d.thread_id === thread.thread_id);
    if (!detail) return [];
    return [
      {
        ...threadHeadline(scope, index + 1, thread.thread_id, { ...detail, id: detail.item_id }),
        maxRiskScore: thread.risk_score === null ? null : Number(thread.risk_score),
        timesRaised: Number(thread.times_raised),
        raisedInPeriod: Number(thread.raised_in_period),
        firstRaisedOn: thread.first_raised_on,
        lastRaisedOn: thread.last_raised_on,
        daysOpen: thread.daysOpen,
        persistenceScore: thread.score,
        owner: detail.owner_id && detail.owner_name ? { id: detail.owner_id, name: detail.owner_name } : null,
        escalationState: detail.escalation_state,
        latestResponse:
          detail.stance && detail.stance_at_ms !== null
            ? {
                stance: detail.stance as Stance,
                rationale: screenedText(detail.stance_rationale),
                at: new Date(Number(detail.stance_at_ms)).toISOString(),
              }
            : null,
        plannedAction:
          detail.action_description && detail.action_due_date
            ? { description: screenedText(detail.action_description), dueDate: detail.action_due_date }
            : null,
      },
    ];
  });
}

export function prioritySection(scope: ReportScope, rows: PriorityRow[]): GovernancePack['priorities'] {
  return rows.map((r) => ({
    id: r.id,
    title: screenedText(r.title),
    level: r.level as 'organisation' | 'division' | 'ward',
    ward: r.ward_id ? wardOf(scope, r.ward_id) : null,
    division: r.division,
    owner: { id: r.owner_id, name: r.owner_name },
    linkedItems: r.linked,
    resolvedItems: r.resolved,
    openItems: r.linked - r.resolved,
    raisedInPeriod: r.raised_in_period,
    resolutionRate: ratio(r.resolved, r.linked),
  }));
}
