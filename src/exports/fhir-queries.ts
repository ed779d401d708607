/** SQL of the FHIR export: the items of the window and their escalations. Read-only, set-based. */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { inScope, type ReportPeriod, type ReportScope } from '../reports/scope.js';
import { rows } from '../db/sql.js';
import { periodParams } from '../reports/sql.js';

export interface ExportItemRow {
  id: string;
  ward_id: string;
  kind: 'problem' | 'risk';
  category: string;
  description: string;
  consequence: number | null;
  likelihood: number | null;
  risk_score: number | null;
  risk_band: string | null;
  status: 'open' | 'resolved';
  raised_on: string;
  created_at_ms: number;
  resolved_at_ms: number | null;
}

const itemsOfWindow = (scope: ReportScope, period: ReportPeriod) => {
  const p = periodParams(period);
  return sql`
    i.organisation_id = ${scope.organisation.id}::uuid
    AND ${inScope(sql`i.ward_id`, scope)}
    AND i.kind IN ('problem', 'risk')
    AND i.raised_on BETWEEN ${p.from} AND ${p.to}`;
};

/** Problems and risks raised in the window. */
export function exportItems(db: Executor, scope: ReportScope, period: ReportPeriod) {
  return rows<ExportItemRow>(
    db,
    sql`
      SELECT i.id, i.ward_id, i.kind, i.category, i.description, i.consequence::int AS consequence,
             i.likelihood::int AS likelihood, i.risk_score::int AS risk_score, i.risk_band, i.status,
             i.raised_on::text AS raised_on,
             (extract(epoch FROM i.created_at) * 1000)::float8 AS created_at_ms,
             (extract(epoch FROM i.resolved_at) * 1000)::float8 AS resolved_at_ms
      FROM items i
      WHERE ${itemsOfWindow(scope, period)}
      ORDER BY i.raised_on, i.ward_id, i.position, i.id`,
  );
}

export interface ExportEscalationRow {
  id: string;
  item_id: string;
  ward_id: string;
  state: 'open' | 'acknowledged' | 'in_progress' | 'resolved';
  outcome: 'fixed' | 'mitigated' | 'risk_accepted' | 'not_actionable' | null;
  outcome_note: string | null;
  band: string;
  level: number;
  owner_id: string;
  owner_name: string;
  created_at_ms: number;
  due_at_ms: number;
  acknowledged_at_ms: number | null;
  resolved_at_ms: number | null;
}

/** Every escalation of those items, with its current owner. */
export function exportEscalations(db: Executor, scope: ReportScope, period: ReportPeriod) {
  return rows<ExportEscalationRow>(
    db,
    sql`
      SELECT e.id, e.item_id, e.ward_id, e.state, e.outcome, e.outcome_note, e.band, e.level + 1 AS level,
             e.assignee_staff_id AS owner_id, s.name AS owner_name,
             (extract(epoch FROM e.created_at) * 1000)::float8 AS created_at_ms,
             (extract(epoch FROM e.due_at) * 1000)::float8 AS due_at_ms,
             (extract(epoch FROM e.acknowledged_at) * 1000)::float8 AS acknowledged_at_ms,
             (extract(epoch FROM e.resolved_at) * 1000)::float8 AS resolved_at_ms
      FROM escalations e
      JOIN items i ON i.id = e.item_id
      JOIN staff s ON s.id = e.assignee_staff_id
      WHERE ${itemsOfWindow(scope, period)}
        AND e.organisation_id = ${scope.organisation.id}::uuid
      ORDER BY e.created_at, e.id`,
  );
}
