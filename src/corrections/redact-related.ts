import { sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Transaction } from '../db/client.js';
import { escalations, positionChanges, seniorDecisions } from '../db/schema.js';
import { rows } from '../db/sql.js';
import type { RelatedRedactableField } from '../domain/correction.js';

/** Where a copy was replaced: the counts a redaction answers with. */
export type CopyKind = 'positions' | 'escalations' | 'seniorDecisions';

/** A free-text column others wrote about an item in, found by the item's id. */
interface Target {
  kind: CopyKind;
  table: PgTable;
  id: PgColumn;
  text: PgColumn;
  itemId: PgColumn;
  only?: SQL;
}

const managerial = sql`${positionChanges.side} = 'managerial'`;

/**
 * The columns each related field names: what managers wrote with their positions on the item
 * (each position as kept in the alignment history, and the escalation's current position), and
 * the reasons senior managers gave for their decisions on the item.
 */
const TARGETS: Record<RelatedRedactableField, Target[]> = {
  managerRationale: [
    {
      kind: 'positions',
      table: positionChanges,
      id: positionChanges.id,
      text: positionChanges.rationale,
      itemId: positionChanges.itemId,
      only: managerial,
    },
    {
      kind: 'escalations',
      table: escalations,
      id: escalations.id,
      text: escalations.stanceRationale,
      itemId: escalations.itemId,
    },
  ],
  barrierNote: [
    {
      kind: 'positions',
      table: positionChanges,
      id: positionChanges.id,
      text: positionChanges.barrierNote,
      itemId: positionChanges.itemId,
    },
    {
      kind: 'escalations',
      table: escalations,
      id: escalations.id,
      text: escalations.stanceBarrierNote,
      itemId: escalations.itemId,
    },
  ],
  seniorDecisionReason: [
    {
      kind: 'seniorDecisions',
      table: seniorDecisions,
      id: seniorDecisions.id,
      text: seniorDecisions.reason,
      itemId: seniorDecisions.itemId,
    },
  ],
};

const holding = (target: Target, itemId: string) =>
  sql`${target.itemId} = ${itemId} AND ${target.text} IS NOT NULL${target.only ? sql` AND ${target.only}` : sql``}`;

/** The given fields no row about the item holds text in (nothing to redact there). */
export async function relatedWithoutText(tx: Transaction, itemId: string, fields: RelatedRedactableField[]) {
  const empty: RelatedRedactableField[] = [];
  for (const field of fields) {
    let found = false;
    for (const target of TARGETS[field]) {
      const [row] = await rows<{ n: number }>(
        tx,
        sql`SELECT count(*)::int AS n FROM ${target.table} WHERE ${holding(target, itemId)}`,
      );
      if (row!.n > 0) found = true;
    }
    if (!found) empty.push(field);
  }
  return empty;
}

export interface ReplacedCopy {
  kind: CopyKind;
  id: string;
  old: string;
  replacement: string;
}

/**
 * Replaces the text of every row about the item that holds one of the given fields; answers each
 * row replaced with its old text (so stored answers that quoted it can be reached too).
 */
export async function redactRelated(
  tx: Transaction,
  itemId: string,
  replacements: Partial<Record<RelatedRedactableField, string>>,
): Promise<ReplacedCopy[]> {
  const replaced: ReplacedCopy[] = [];
  for (const [field, replacement] of Object.entries(replacements) as [RelatedRedactableField, string][]) {
    for (const target of TARGETS[field]) {
      const updated = await rows<{ id: string; old: string }>(
        tx,
        sql`
          UPDATE ${target.table} SET ${sql.identifier(target.text.name)} = ${replacement}
          FROM (SELECT ${target.id} AS id, ${target.text} AS old FROM ${target.table}
                WHERE ${holding(target, itemId)} FOR UPDATE) held
          WHERE ${target.id} = held.id
          RETURNING held.id::text AS id, held.old`,
      );
      replaced.push(...updated.map((row) => ({ kind: target.kind, ...row, replacement })));
    }
  }
  return replaced;
}
