import { asc, eq, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { z } from 'zod';
import { wardScope, type TenantPrincipal } from '../auth/principal.js';
import type { Executor } from '../db/client.js';
import { organisations, wards } from '../db/schema.js';
import {
  REPORT_TIME_ZONE,
  addDays,
  addYears,
  dayNumber,
  daysInclusive,
  localDateOf,
  minDate,
  previousPeriod,
  startOfLocalDay,
} from '../domain/calendar.js';
import { notFound } from '../http/errors.js';
import { isoDate } from '../http/schemas.js';

/** Who may read reports: organisation-wide readers, and middle managers for their own wards. */
export const REPORT_READERS = ['governance', 'senior_manager', 'org_admin', 'middle_manager'] as const;

/**
 * Who may read a ward's trends (SPC charts, alignment figures): the report readers, and ward staff
 * (clinicians and ward devices) for their own wards, so a ward sees its own charts.
 */
export const TREND_READERS = [...REPORT_READERS, 'clinician', 'ward_device'] as const;

export const MAX_PERIOD_YEARS = 2;

/** `from` and `to` (both included), checked: from <= to, and at most two years. */
export const periodFields = {
  from: isoDate.describe('First day of the period (YYYY-MM-DD, included)'),
  to: isoDate.describe('Last day of the period (YYYY-MM-DD, included); at most 2 years after from'),
};

/** Calendar days from `from` to `to`, both included (ISO dates). */
export interface DateRange {
  from: string;
  to: string;
}

export function checkPeriod(query: DateRange, ctx: z.RefinementCtx) {
  let real = true;
  for (const field of ['from', 'to'] as const) {
    try {
      dayNumber(query[field]);
    } catch {
      real = false;
      ctx.addIssue({ code: 'custom', path: [field], message: 'is not a real date' });
    }
  }
  if (!real) return;
  if (query.from > query.to) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
  } else if (query.to >= addYears(query.from, MAX_PERIOD_YEARS)) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: `the period may be at most ${MAX_PERIOD_YEARS} years` });
  }
}

/** The wards a report covers: every ward within the caller's reach, or one ward, or one division. */
export const scopeFields = {
  wardId: z.uuid().optional().describe('Only this ward (404 when outside your reach)'),
  division: z.string().trim().min(1).max(200).optional().describe('Only the wards of this division'),
};

/** The query every report and export takes: a period and the wards it covers. */
export const reportFilterFields = { ...periodFields, ...scopeFields };
export const reportFilterQuery = z.strictObject(reportFilterFields).superRefine(checkPeriod);
export type ReportFilter = z.infer<typeof reportFilterQuery>;
export type ScopeFilter = Pick<ReportFilter, 'wardId' | 'division'>;

export interface ReportPeriod {
  from: string;
  to: string;
  days: number;
  previous: DateRange;
  /** Figures are as at this instant: the end of `to`, or now for a period that has not ended. */
  asOf: Date;
  /** The calendar date of `asOf` (never after `to`). */
  asOfDate: string;
  generatedAt: Date;
  timeZone: string;
  /** Where the figures were read: the primary, or a read replica that many seconds behind it. */
  readFrom: 'primary' | 'replica';
  replicationLagSeconds: number;
}

/** The primary: nothing it has committed is missing from a snapshot. */
const PRIMARY = { readFrom: 'primary', lagSeconds: 0 } as const;

export function reportPeriod(
  from: string,
  to: string,
  now: Date,
  source: { readFrom: 'primary' | 'replica'; lagSeconds: number } = PRIMARY,
): ReportPeriod {
  const endOfTo = startOfLocalDay(addDays(to, 1), REPORT_TIME_ZONE);
  const asOf = endOfTo < now ? endOfTo : now;
  return {
    from,
    to,
    days: daysInclusive(from, to),
    previous: previousPeriod(from, to),
    asOf,
    asOfDate: minDate(to, localDateOf(now, REPORT_TIME_ZONE)),
    generatedAt: now,
    timeZone: REPORT_TIME_ZONE,
    readFrom: source.readFrom,
    replicationLagSeconds: source.lagSeconds,
  };
}

export interface WardRef {
  id: string;
  code: string;
  name: string;
  division: string | null;
  /** The UK date the ward closed; null while it is open. */
  closedOn: string | null;
}

export interface ReportScope {
  organisation: { id: string; name: string };
  /** The wards the report covers, by code. */
  wards: WardRef[];
  wardIds: string[];
  /** The scope is every ward of the organisation: statements need no ward condition at all. */
  allWards: boolean;
  wardId: string | null;
  division: string | null;
}

/**
 * The wards a report covers: the caller's reach, narrowed by `wardId` or `division`. A ward or
 * division outside the caller's reach answers 404, exactly as one that does not exist.
 */
export async function resolveScope(
  db: Executor,
  principal: TenantPrincipal,
  filter: ScopeFilter,
): Promise<ReportScope> {
  const [organisation] = await db
    .select({ id: organisations.id, name: organisations.name })
    .from(organisations)
    .where(eq(organisations.id, principal.organisationId));
  if (!organisation) throw notFound('Organisation');
  const reach = wardScope(principal);
  const all = (
    await db
      .select({ id: wards.id, code: wards.code, name: wards.name, division: wards.division, closedAt: wards.closedAt })
      .from(wards)
      .where(eq(wards.organisationId, principal.organisationId))
      .orderBy(asc(wards.code), asc(wards.id))
  ).map(({ closedAt, ...ward }) => ({ ...ward, closedOn: closedAt ? localDateOf(closedAt, REPORT_TIME_ZONE) : null }));
  let chosen = reach === 'all' ? all : all.filter((w) => reach.includes(w.id));
  if (filter.wardId !== undefined) {
    chosen = chosen.filter((w) => w.id === filter.wardId);
    if (chosen.length === 0) throw notFound('Ward');
  }
  if (filter.division !== undefined) {
    chosen = chosen.filter((w) => w.division === filter.division);
    if (chosen.length === 0) throw notFound('Division');
  }
  return {
    organisation,
    wards: chosen,
    wardIds: chosen.map((w) => w.id),
    allWards: chosen.length === all.length,
    wardId: filter.wardId ?? null,
    division: filter.division ?? null,
  };
}

/** What a statement needs to know of the scope's wards. */
export interface WardFilter {
  wardIds: readonly string[];
  allWards: boolean;
}

/**
 * The ward condition of a statement: nothing (`true`) when the scope is the whole organisation
 * (the organisation condition already says it), else `column = ANY(ids)`. The ids travel as one
 * text parameter, so an empty scope is simply false and the statement text never depends on how
 * many wards there are.
 */
export function inScope(column: SQLWrapper, scope: WardFilter): SQL {
  if (scope.allWards) return sql`true`;
  return sql`${column} = ANY(string_to_array(${scope.wardIds.join(',')}, ',')::uuid[])`;
}

/** The ward of a row, as the scope names it (a ward outside the scope keeps only its id). */
export function wardOf(scope: ReportScope, id: string): WardRef {
  return scope.wards.find((w) => w.id === id) ?? { id, code: '', name: '', division: null, closedOn: null };
}

/** The rows of the report's organisation and wards, for a table with both columns. */
export function inReportScope(table: { organisationId: SQLWrapper; wardId: SQLWrapper }, scope: ReportScope): SQL {
  return sql`${table.organisationId} = ${scope.organisation.id}::uuid
        AND ${inScope(table.wardId, scope)}`;
}

export function presentScope(scope: ReportScope) {
  return { organisation: scope.organisation, wardId: scope.wardId, division: scope.division, wards: scope.wards };
}

export function presentPeriod(period: ReportPeriod) {
  return {
    from: period.from,
    to: period.to,
    days: period.days,
    previous: period.previous,
    asOf: period.asOf.toISOString(),
    asOfDate: period.asOfDate,
    generatedAt: period.generatedAt.toISOString(),
    timeZone: period.timeZone,
    readFrom: period.readFrom,
    replicationLagSeconds: period.replicationLagSeconds,
  };
}
