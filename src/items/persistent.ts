import { inArray, sql, type SQL } from 'drizzle-orm';
import { assertWardReadable, wardScope, type TenantPrincipal } from '../auth/principal.js';
import type { Database } from '../db/client.js';
import { items } from '../db/schema.js';
import { rows as statementRows, statementAlias } from '../db/sql.js';
import { liveItem } from './conditions.js';
import { tuningOf, type ServiceDeps, type Tuning } from '../deps.js';
import { addDays, localDateOf } from '../domain/calendar.js';
import { byPersistence, daysBetween, isPersistent, persistenceRank } from '../domain/persistence.js';

/**
 * Persistent issues (src/domain/persistence.ts): threads with an open item, raised at least
 * `minRaised` times or open longer than `minDays`, ranked by persistenceRank, each shown by its
 * latest item. A thread is its first item and the items naming it (`thread_id`); only live
 * (not voided) problems and risks of the wards read count, as everywhere (liveItem).
 *
 * The statement ranks in SQL and reads only the threads that can reach the page:
 * - A lone issue (an open first raising that no item names as its thread) ranks
 *   risk x (1 + days open / 30): among lone issues of one risk score the oldest rank highest,
 *   ties by id as byPersistence breaks them. For a whole trust the partial index
 *   items_open_first_raising_rank_idx holds the open first raisings by (organisation, risk,
 *   raised on, id): the statement walks each risk score present and stops after `limit`.
 * - A thread of repeats with an open item is counted in full (items_open_repeat_idx finds the
 *   open repeats, items_org_thread_idx the first raisings that are repeated).
 * No derived state is kept, so every write (capture, added items, amendments, voiding,
 * resolution, unlinking) is reflected at once; the partial indexes cost a new item one entry
 * (an open first raising) or two (an open repeat).
 */

interface ThreadStats {
  threadId: string;
  timesRaised: number;
  firstRaisedOn: string;
  maxRiskScore: number;
  latestItemId: string;
}

interface Scope {
  organisationId: string;
  /** The wards counted: the one asked for or the reader's own; null for every ward of the trust. */
  wards: string[] | null;
  minRaised: number;
  since: string;
  today: string;
  limit: number;
}

/** The statement's names for items: `i` an open item, `m` a thread's member, `l` its latest. */
const aliases = {
  i: statementAlias(items, 'i'),
  m: statementAlias(items, 'm'),
  l: statementAlias(items, 'l'),
};
type Alias = keyof typeof aliases;

/** A problem or risk that counts: live (not voided), not good practice, of the wards read. */
function counted(alias: Alias, scope: Scope): SQL {
  const a = sql.raw(alias);
  const wards = scope.wards
    ? sql`and ${a}.ward_id in (${sql.join(
        scope.wards.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`
    : sql``;
  return sql`${a}.kind <> 'good_practice' and ${liveItem(aliases[alias])} ${wards}`;
}

/** An open problem or risk of the organisation that counts. */
const openIssue = (alias: Alias, scope: Scope) =>
  sql`${sql.raw(alias)}.organisation_id = ${scope.organisationId}::uuid and ${sql.raw(alias)}.status = 'open'
    and ${counted(alias, scope)}`;

/** An open first raising (the first item of its thread). */
const openFirstRaising = (scope: Scope) => sql`${openIssue('i', scope)} and i.thread_id is null`;

/** No item names it as its thread (a thread stays on one ward, so within the organisation). */
const alone = (scope: Scope) =>
  sql`not exists (select 1 from items r where r.organisation_id = ${scope.organisationId}::uuid
    and r.thread_id = i.id)`;

/** Persistent as a lone issue: raised once, so only its age can make it persistent. */
const lonePersistent = (scope: Scope) => (scope.minRaised <= 1 ? sql`` : sql`and i.raised_on < ${scope.since}::date`);

/**
 * The lone issues that can reach the page. For a whole trust: at most `limit` of each risk score,
 * the oldest first (ties by id), from a loose scan of the risk scores present in
 * items_open_first_raising_rank_idx. For some wards: every lone issue of those wards.
 */
function loneIssues(scope: Scope): SQL {
  if (scope.wards) {
    return sql`select i.id as thread_id, 1 as times_raised, i.raised_on as first_raised_on,
        coalesce(i.risk_score, 0) as max_risk, i.id as latest_item_id
      from items i
      where ${openFirstRaising(scope)} ${lonePersistent(scope)} and ${alone(scope)}`;
  }
  return sql`select s.id as thread_id, 1 as times_raised, s.raised_on as first_raised_on,
      l.score as max_risk, s.id as latest_item_id
    from risk_scores l
    cross join lateral (
      select i.id, i.raised_on from items i
      where ${openFirstRaising(scope)} and coalesce(i.risk_score, 0) = l.score ${lonePersistent(scope)}
        and ${alone(scope)}
      order by i.raised_on, i.id
      limit ${scope.limit}
    ) s
    where l.score is not null`;
}

/** The risk scores of the trust's open first raisings, one index probe each (a loose index scan). */
function riskScores(scope: Scope): SQL {
  return sql`risk_scores(score) as (
      select min(coalesce(i.risk_score, 0)) from items i where ${openFirstRaising(scope)}
      union all
      select (select min(coalesce(i.risk_score, 0)) from items i where ${openFirstRaising(scope)}
        and coalesce(i.risk_score, 0) > l.score)
      from risk_scores l where l.score is not null
    ),`;
}

/**
 * The threads of repeats with an open item that counts, counted in full: the threads of open
 * repeats, and open first raisings that some item names as its thread. Their latest items are
 * looked up for the page only (latestOf).
 */
function repeatedThreads(scope: Scope): SQL {
  const columns = sql.raw('m.id, m.thread_id, m.ward_id, m.kind, m.voided_at, m.raised_on, m.risk_score');
  return sql`repeated as (
      select i.thread_id from items i where ${openIssue('i', scope)} and i.thread_id is not null
      union
      select i.id from items i where ${openFirstRaising(scope)}
        and i.id in (select r.thread_id from items r
          where r.organisation_id = ${scope.organisationId}::uuid and r.thread_id is not null)
    ),
    members as (
      select ${columns} from items m join repeated t on m.id = t.thread_id
      union all
      select ${columns} from items m join repeated t on m.thread_id = t.thread_id and m.id <> t.thread_id
    ),
    repeats as (
      select coalesce(m.thread_id, m.id) as thread_id, count(*)::int as times_raised,
        min(m.raised_on) as first_raised_on, coalesce(max(m.risk_score), 0)::int as max_risk,
        null::uuid as latest_item_id
      from members m
      where ${counted('m', scope)}
      group by 1
      having count(*) >= ${scope.minRaised} or min(m.raised_on) < ${scope.since}::date
    ),`;
}

/** A thread's latest item that counts: raised last, recorded last (then by id, so it is one). */
const latestOf = (scope: Scope) =>
  sql`(select l.id from items l
    where (l.id = c.thread_id or l.thread_id = c.thread_id) and coalesce(l.thread_id, l.id) = c.thread_id
      and ${counted('l', scope)}
    order by l.raised_on desc, l.created_at desc, l.id desc limit 1)`;

/**
 * The candidate threads: the first `limit` by the rank PostgreSQL computes, and any within a hair
 * of the last of them, so a last-digit difference between PostgreSQL's logarithm and
 * JavaScript's cannot change which threads the page holds (rankThreads orders them).
 */
function candidateThreadsStatement(scope: Scope): SQL {
  const rank = sql`c.max_risk::float8 * (1 + ln(c.times_raised::float8))
    * (1 + greatest(0, ${scope.today}::date - c.first_raised_on)::float8 / 30)`;
  return sql`
    with recursive ${scope.wards ? sql`` : riskScores(scope)}
    ${repeatedThreads(scope)}
    candidates as materialized (
      select c.*, ${rank} as rank, ${scope.today}::date - c.first_raised_on as days_open
      from (${loneIssues(scope)} union all select * from repeats) c
    ),
    last_on_page as (
      select c.rank from candidates c
      order by c.rank desc, c.times_raised desc, c.days_open desc, c.thread_id
      offset ${scope.limit - 1} limit 1
    )
    select c.thread_id as "threadId", c.times_raised as "timesRaised", c.first_raised_on::text as "firstRaisedOn",
      c.max_risk as "maxRiskScore", coalesce(c.latest_item_id, ${latestOf(scope)}) as "latestItemId"
    from candidates c
    where c.rank >= coalesce((select rank from last_on_page), 0) * (1 - 1e-9)`;
}

/** The persistent threads, highest rank first, at most `limit`. */
function rankThreads(threads: ThreadStats[], tuning: Tuning, todayIso: string, limit: number) {
  return threads
    .map((t) => {
      const stats = {
        riskScore: t.maxRiskScore,
        timesRaised: t.timesRaised,
        daysOpen: daysBetween(t.firstRaisedOn, todayIso),
      };
      return {
        ...t,
        daysOpen: stats.daysOpen,
        riskScore: stats.riskScore,
        rank: persistenceRank(stats),
        persistent: isPersistent(stats, {
          minRaised: tuning.persistentMinRaised,
          minDaysOpen: tuning.persistentMinDays,
        }),
      };
    })
    .filter((t) => t.persistent)
    .sort(byPersistence)
    .slice(0, limit);
}

/** Persistent issues, ranked, at most `filter.limit`: of one ward, or of every ward the principal reads. */
export async function persistentItems(
  deps: ServiceDeps,
  principal: TenantPrincipal,
  filter: { wardId?: string | undefined; limit: number },
  today = new Date(),
) {
  const { db } = deps;
  const tuning = tuningOf(deps);
  const readable = wardScope(principal);
  if (filter.wardId) assertWardReadable(principal, filter.wardId, 'Ward');
  else if (readable !== 'all' && readable.length === 0) return [];
  // Days are the trust's calendar days, not UTC's.
  const todayIso = localDateOf(today);
  const scope: Scope = {
    organisationId: principal.organisationId,
    wards: filter.wardId ? [filter.wardId] : readable === 'all' ? null : readable,
    minRaised: tuning.persistentMinRaised,
    since: addDays(todayIso, -tuning.persistentMinDays),
    today: todayIso,
    limit: filter.limit,
  };
  const threads = await statementRows<ThreadStats>(db, candidateThreadsStatement(scope));
  const ranked = rankThreads(threads, tuning, todayIso, filter.limit);
  if (ranked.length === 0) return [];
  return latestItems(db, ranked);
}

/** Each ranked thread's latest item, in the ranking's order, with its rank to two places. */
async function latestItems(db: Database, ranked: ReturnType<typeof rankThreads>) {
  const rows = await db
    .select()
    .from(items)
    .where(
      inArray(
        items.id,
        ranked.map((t) => t.latestItemId),
      ),
    );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ranked.map((t) => ({ item: byId.get(t.latestItemId)!, rank: Math.round(t.rank * 100) / 100 }));
}
