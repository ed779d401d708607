/**
 * Alignment by level: per ward and division, over the escalations opened in the period, how often
 * the team and the middle manager agree, how often the middle manager and the senior decision
 * agree, and how many issues stall at each level (never answered, disagreed, returned).
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { TenantPrincipal } from '../auth/principal.js';
import type { Executor } from '../db/client.js';
import { rows } from '../db/sql.js';
import { withReportContext, type ReportDatabases } from './context.js';
import { reportPeriodSchema, reportScopeSchema, type alignmentQuery } from './schemas.js';
import { inScope, presentPeriod, presentScope, wardOf, type ReportPeriod, type ReportScope } from './scope.js';
import { localDate, periodParams } from './sql.js';

const FIGURES = [
  'escalations',
  'teamManagerAnswered',
  'teamManagerAgreed',
  'managerSeniorDecided',
  'managerSeniorAgreed',
  'neverAnswered',
  'disagreed',
  'returned',
] as const;
type Figures = Record<(typeof FIGURES)[number], number>;
type LevelRow = Figures & { ward_id: string };

const count = z.number().int().min(0);
const figuresSchema = z.object(
  Object.fromEntries(FIGURES.map((f) => [f, count])) as Record<keyof Figures, typeof count>,
);

export const levelsReportSchema = z
  .object({
    scope: reportScopeSchema,
    period: reportPeriodSchema,
    overall: figuresSchema,
    byDivision: z.array(figuresSchema.extend({ division: z.string().nullable() })),
    byWard: z.array(figuresSchema.extend({ ward: z.object({ id: z.uuid(), code: z.string(), name: z.string() }) })),
  })
  .meta({ id: 'AlignmentByLevelReport' });

/** One grouped statement: the figures per ward (see docs/reports.md for each definition). */
function levelRows(db: Executor, scope: ReportScope, period: ReportPeriod) {
  const p = periodParams(period);
  const answered = sql`i.needs_change IS NOT NULL AND e.stance IN ('agree', 'disagree')`;
  const agreed = sql`((i.needs_change AND e.stance = 'agree') OR (NOT i.needs_change AND e.stance = 'disagree'))`;
  return rows<LevelRow>(
    db,
    sql`
      SELECT e.ward_id,
        count(*)::int AS "escalations",
        count(*) FILTER (WHERE ${answered})::int AS "teamManagerAnswered",
        count(*) FILTER (WHERE ${answered} AND ${agreed})::int AS "teamManagerAgreed",
        count(*) FILTER (WHERE e.stance IN ('agree', 'disagree') AND d.decision IS NOT NULL)::int AS "managerSeniorDecided",
        count(*) FILTER (WHERE (e.stance = 'agree' AND d.decision = 'adopt_as_qi_target')
                            OR (e.stance = 'disagree' AND d.decision = 'accept_risk'))::int AS "managerSeniorAgreed",
        count(*) FILTER (WHERE e.stance IS NULL)::int AS "neverAnswered",
        count(*) FILTER (WHERE ${answered} AND NOT ${agreed})::int AS "disagreed",
        count(*) FILTER (WHERE r.returned)::int AS "returned"
      FROM escalations e
      JOIN items i ON i.id = e.item_id
      LEFT JOIN LATERAL (
        SELECT sd.decision FROM senior_decisions sd
        WHERE sd.thread_id = coalesce(e.thread_id, e.item_id) AND sd.decision <> 'send_back'
        ORDER BY sd.created_at DESC LIMIT 1
      ) d ON true
      LEFT JOIN LATERAL (
        SELECT true AS returned FROM senior_decisions sd
        WHERE sd.thread_id = coalesce(e.thread_id, e.item_id) AND sd.decision = 'send_back'
        LIMIT 1
      ) r ON true
      WHERE e.organisation_id = ${scope.organisation.id}::uuid
        AND ${inScope(sql`e.ward_id`, scope)}
        AND coalesce(e.outcome, '') NOT IN ('voided', 'merged')
        AND ${localDate(sql`e.created_at`, period)} BETWEEN ${p.from} AND ${p.to}
        AND e.created_at <= ${p.asOf}
      GROUP BY e.ward_id`,
  );
}

const zero = (): Figures => Object.fromEntries(FIGURES.map((f) => [f, 0])) as Figures;
const add = (into: Figures, row: Figures) => FIGURES.forEach((f) => (into[f] += row[f]));

/** Pure: every ward of the scope (zeros where none), their divisions and the whole scope. */
export function presentLevels(scope: ReportScope, period: ReportPeriod, read: LevelRow[]) {
  const overall = zero();
  const divisions = new Map<string | null, Figures>();
  const byWard = scope.wards.map((w) => {
    const figures = zero();
    const row = read.find((r) => r.ward_id === w.id);
    if (row) add(figures, row);
    add(overall, figures);
    const division = divisions.get(w.division) ?? zero();
    add(division, figures);
    divisions.set(w.division, division);
    const { id, code, name } = wardOf(scope, w.id);
    return { ward: { id, code, name }, ...figures };
  });
  return {
    scope: presentScope(scope),
    period: presentPeriod(period),
    overall,
    byDivision: [...divisions].map(([division, figures]) => ({ division, ...figures })),
    byWard,
  };
}

/** GET /v1/reports/alignment-by-level */
export function levelsReport(
  databases: ReportDatabases,
  principal: TenantPrincipal,
  request: z.infer<typeof alignmentQuery>,
  now = new Date(),
) {
  return withReportContext(databases, principal, request, now, async ({ db, scope, period }) =>
    presentLevels(scope, period, await levelRows(db, scope, period)),
  );
}
