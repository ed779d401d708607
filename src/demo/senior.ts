import { and, eq, ne } from 'drizzle-orm';
import type { TenantPrincipal } from '../auth/principal.js';
import { decideSeniorReview, seniorReviewQueue } from '../alignment/senior-review.js';
import type { Database } from '../db/client.js';
import type { Relay } from '../deps.js';
import { MAX_PAGE_SIZE } from '../http/pagination.js';
import { escalations } from '../db/schema.js';
import { addDays, localDateOf } from '../domain/calendar.js';
import type { PriorityOf } from './managers.js';

type Entry = Awaited<ReturnType<typeof seniorReviewQueue>>['data'][number];
type OpenEscalation = Pick<typeof escalations.$inferSelect, 'stance' | 'level' | 'assigneeStaffId' | 'chain'>;

const MINUTE = 60_000;

/** Every page of the senior review queue as the director sees it on the demo's day. */
async function wholeQueue(db: Database, director: TenantPrincipal, seedNow: Date) {
  const entries: Entry[] = [];
  let cursor: string | undefined;
  do {
    const page = await seniorReviewQueue({ db }, director, { limit: MAX_PAGE_SIZE, cursor }, seedNow);
    entries.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return entries;
}

/** Most urgent first, then by ward and words, so the same issues are picked on every run. */
const byUrgency = (a: Entry, b: Entry) =>
  (b.riskScore ?? 0) - (a.riskScore ?? 0) ||
  b.daysOpen - a.daysOpen ||
  a.ward.code.localeCompare(b.ward.code) ||
  a.description.localeCompare(b.description);

/**
 * The director's first senior review, through the service's own functions: of the queue, one
 * issue the matron agreed needs change is adopted as a QI target (linked to the priority its
 * category serves), one the matron disagreed with is accepted as a risk with a reason and a
 * review date eight weeks on, and one still with its matron is sent back to her or him. The rest
 * wait in the queue. Each decision is on its item's timeline.
 */
export async function seedSeniorReview(
  deps: { db: Database; relay: Relay },
  director: TenantPrincipal,
  priorityOf: PriorityOf,
  seedNow: Date,
) {
  const { db } = deps;
  const queue = (await wholeQueue(db, director, seedNow)).sort(byUrgency);
  const open = new Map<string, OpenEscalation>();
  const rows = await db
    .select({
      threadId: escalations.threadId,
      stance: escalations.stance,
      level: escalations.level,
      assigneeStaffId: escalations.assigneeStaffId,
      chain: escalations.chain,
    })
    .from(escalations)
    .where(and(eq(escalations.organisationId, director.organisationId), ne(escalations.state, 'resolved')));
  for (const row of rows) if (row.threadId) open.set(row.threadId, row);
  const taken = new Set<string>();
  const pick = (wanted: (entry: Entry, escalation: OpenEscalation | undefined) => boolean) => {
    const entry = queue.find((e) => !taken.has(e.threadId) && wanted(e, open.get(e.threadId)));
    if (entry) taken.add(entry.threadId);
    return entry;
  };
  const at = (minutesBefore: number) => new Date(seedNow.getTime() - minutesBefore * MINUTE);

  const adopted =
    pick((e, esc) => esc?.stance === 'agree' && priorityOf(e.category, e.ward.id) !== undefined) ??
    pick((_, esc) => esc?.stance === 'agree');
  if (adopted) {
    const priorityId = priorityOf(adopted.category, adopted.ward.id);
    await decideSeniorReview(
      deps,
      director,
      adopted.itemId,
      {
        decision: 'adopt_as_qi_target',
        ...(priorityId ? { priorityId } : { title: 'Issues the board has adopted for improvement' }),
        reason: 'Raised again and again, and the matron agrees: resourced as part of the quality strategy',
      },
      at(50),
    );
  }
  const accepted =
    pick((e, esc) => esc?.stance === 'disagree' && e.reasons.includes('high_risk_disagreement')) ??
    pick((_, esc) => esc?.stance === 'disagree');
  if (accepted) {
    await decideSeniorReview(
      deps,
      director,
      accepted.itemId,
      {
        decision: 'accept_risk',
        reason: 'Tolerable until the business case is decided; the matron reviews it with the ward each week',
        reviewDate: addDays(localDateOf(seedNow), 56),
      },
      at(40),
    );
  }
  const withMatron = (esc: OpenEscalation | undefined) =>
    esc !== undefined && esc.level === 0 && esc.assigneeStaffId === esc.chain.levels[0];
  const returned =
    pick((_, esc) => withMatron(esc) && esc!.stance !== 'agree' && esc!.stance !== 'disagree') ??
    pick((_, esc) => withMatron(esc));
  if (returned) {
    await decideSeniorReview(
      deps,
      director,
      returned.itemId,
      { decision: 'send_back', reason: 'Please meet the ward team and give them your answer before it comes back' },
      at(30),
    );
  }
}
