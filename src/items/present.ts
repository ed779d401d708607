import type { items } from '../db/schema.js';

export type ItemRow = typeof items.$inferSelect;

export function presentItem(row: ItemRow) {
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
    createdAt: row.createdAt.toISOString(),
  };
}
