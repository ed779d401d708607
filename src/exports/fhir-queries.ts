/** SQL of the FHIR export: the items of the window and their escalations. Read-only, set-based. */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import type { Outcome } from '../domain/escalation.js';
import { rows, tableAs } from '../db/sql.js';
import { inReportScope, type ReportPeriod, type ReportScope } from '../reports/scope.js';
import { periodParams } from '../reports/sql.js';
import { escalation as e, item as i, staffMember as s } from '../reports/tables.js';
import { liveEscalation, liveItem } from '../items/conditions.js';

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
    ${inReportScope(i, scope)}
    AND ${liveItem(i)}
    AND ${i.kind} IN ('problem', 'risk')
    AND ${i.raisedOn} BETWEEN ${p.from} AND ${p.to}`;
};

/** Problems and risks raised in the window. */
export function exportItems(db: Executor, scope: ReportScope, period: ReportPeriod) {
  return rows<ExportItemRow>(
    db,
    sql`
      SELECT ${i.id} AS id, ${i.wardId} AS ward_id, ${i.kind} AS kind, ${i.category} AS category,
             ${i.description} AS description, ${i.consequence}::int AS consequence,
             ${i.likelihood}::int AS likelihood, ${i.riskScore}::int AS risk_score, ${i.riskBand} AS risk_band,
             ${i.status} AS status, ${i.raisedOn}::text AS raised_on,
             (extract(epoch FROM ${i.createdAt}) * 1000)::float8 AS created_at_ms,
             (extract(epoch FROM ${i.resolvedAt}) * 1000)::float8 AS resolved_at_ms
      FROM ${tableAs(i)}
      WHERE ${itemsOfWindow(scope, period)}
      ORDER BY ${i.raisedOn}, ${i.wardId}, ${i.position}, ${i.id}`,
  );
}

export interface ExportEscalationRow {
  id: string;
  item_id: string;
  ward_id: string;
  state: 'open' | 'acknowledged' | 'in_progress' | 'resolved';
  outcome: Outcome | null;
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

/** Every escalation of those items, with its current owner; as in the reports, not a merged duplicate. */
export function exportEscalations(db: Executor, scope: ReportScope, period: ReportPeriod) {
  return rows<ExportEscalationRow>(
    db,
    sql`
      SELECT ${e.id} AS id, ${e.itemId} AS item_id, ${e.wardId} AS ward_id, ${e.state} AS state, ${e.outcome} AS outcome,
             ${e.outcomeNote} AS outcome_note, ${e.band} AS band, ${e.level} + 1 AS level,
             ${e.assigneeStaffId} AS owner_id, ${s.name} AS owner_name,
             (extract(epoch FROM ${e.createdAt}) * 1000)::float8 AS created_at_ms,
             (extract(epoch FROM ${e.dueAt}) * 1000)::float8 AS due_at_ms,
             (extract(epoch FROM ${e.acknowledgedAt}) * 1000)::float8 AS acknowledged_at_ms,
             (extract(epoch FROM ${e.resolvedAt}) * 1000)::float8 AS resolved_at_ms
      FROM ${tableAs(e)}
      JOIN ${tableAs(i)} ON ${i.id} = ${e.itemId}
      JOIN ${tableAs(s)} ON ${s.id} = ${e.assigneeStaffId}
      WHERE ${itemsOfWindow(scope, period)}
        AND ${e.organisationId} = ${scope.organisation.id}::uuid
        AND ${liveEscalation(e)}
      ORDER BY ${e.createdAt}, ${e.id}`,
  );
}
