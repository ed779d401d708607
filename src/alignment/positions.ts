import { eq } from 'drizzle-orm';
import { recordAudit, textRef, type AuditActor } from '../audit/record.js';
import type { Executor } from '../db/client.js';
import { items, positionChanges } from '../db/schema.js';
import { rowsInsert } from '../db/together.js';
import { alignmentOf, isAgreement } from '../domain/alignment.js';
import type { Stance } from '../domain/escalation.js';
import type { Barrier } from '../domain/taxonomy.js';
import type { ItemRow } from '../db/rows.js';

export type PositionChange =
  | { side: 'clinical'; needsChange: boolean; rationale: string | null }
  | {
      side: 'managerial';
      stance: Stance;
      rationale: string | null;
      /** What the manager said stands in the way of the change. */
      barriers: Barrier[];
      barrierNote: string | null;
    };

/**
 * Records one side's position on an item: the item's alignment is recomputed, the change is
 * kept in position_changes (who, when, what), the first agreement time is set once, and the
 * change is audited. Runs in the caller's transaction.
 */
export async function recordPosition(
  tx: Executor,
  item: ItemRow,
  change: PositionChange,
  who: { actor: AuditActor; staffId: string | null; tokenId: string | null },
  at: Date,
): Promise<ItemRow> {
  const clinical = change.side === 'clinical' ? change.needsChange : item.needsChange;
  const managerial = change.side === 'managerial' ? change.stance : item.managerialStance;
  const alignment = alignmentOf(clinical, managerial);
  const [updated] = await tx
    .update(items)
    .set({
      ...(change.side === 'clinical'
        ? { needsChange: change.needsChange, clinicalRationale: change.rationale, clinicalPositionAt: at }
        : { managerialStance: change.stance }),
      alignment,
      agreementReachedAt: item.agreementReachedAt ?? (isAgreement(alignment) ? at : null),
    })
    .where(eq(items.id, item.id))
    .returning();
  await tx.insert(positionChanges).values({
    organisationId: item.organisationId,
    itemId: item.id,
    side: change.side,
    needsChange: change.side === 'clinical' ? change.needsChange : null,
    stance: change.side === 'managerial' ? change.stance : null,
    rationale: change.rationale,
    barriers: change.side === 'managerial' ? change.barriers : null,
    barrierNote: change.side === 'managerial' ? change.barrierNote : null,
    alignmentAfter: alignment,
    actorStaffId: who.staffId,
    actorTokenId: who.tokenId,
    createdAt: at,
  });
  await recordAudit(tx, {
    organisationId: item.organisationId,
    actor: who.actor,
    entityType: 'item',
    entityId: item.id,
    action: `${change.side}_position`,
    changes: {
      ...(change.side === 'clinical'
        ? { needsChange: { from: item.needsChange, to: change.needsChange } }
        : { managerialStance: { from: item.managerialStance, to: change.stance } }),
      rationale: textRef(change.rationale),
      alignment: { from: item.alignment, to: alignment },
    },
    at,
  });
  return updated!;
}

/**
 * The team's first positions on items being recorded (the items' alignment is already set from
 * them): one position_changes row per item that has one, as an insert to send with the items
 * (insertTogether), or null when none has.
 */
export function positionsInsert(
  recorded: ItemRow[],
  who: { staffId: string | null; tokenId: string | null },
  at: Date,
) {
  const positioned = recorded.filter((item) => item.needsChange !== null);
  if (positioned.length === 0) return null;
  return rowsInsert(
    positionChanges,
    positioned.map((item) => ({
      organisationId: item.organisationId,
      itemId: item.id,
      side: 'clinical' as const,
      needsChange: item.needsChange,
      rationale: item.clinicalRationale,
      alignmentAfter: item.alignment,
      actorStaffId: who.staffId,
      actorTokenId: who.tokenId,
      createdAt: at,
    })),
  );
}
