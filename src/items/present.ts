import type { items } from '../db/schema.js';
import type { Executor } from '../db/client.js';
import { escalationSummaries, type EscalationSummary } from '../escalations/summaries.js';

export type ItemRow = typeof items.$inferSelect;

export function presentItem(row: ItemRow, escalation: EscalationSummary | null = null) {
  return {
    id: row.id,
    briefingId: row.briefingId,
    wardId: row.wardId,
    raisedOn: row.raisedOn,
    kind: row.kind,
    category: row.category,
    description: row.description,
    consequence: row.consequence,
    likelihood: row.likelihood,
    riskScore: row.riskScore,
    riskBand: row.riskBand,
    harm: row.harm,
    status: row.status,
    resolvedAtBriefing: row.resolvedAtBriefing,
    actionTaken: row.actionTaken,
    needsChange: row.needsChange,
    resolution:
      row.status === 'resolved' && row.resolvedAt
        ? { note: row.resolutionNote, resolvedAt: row.resolvedAt.toISOString() }
        : null,
    escalation,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Items as the API shows them, each with its latest escalation. */
export async function presentItems(db: Executor, rows: ItemRow[]) {
  const summaries = await escalationSummaries(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) => presentItem(row, summaries.get(row.id) ?? null));
}
