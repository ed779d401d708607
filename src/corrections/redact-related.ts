import { sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Transaction } from '../db/client.js';
import {
  escalationActions,
  escalationEvents,
  escalations,
  itemCorrections,
  positionChanges,
  seniorDecisions,
} from '../db/schema.js';
import { rows } from '../db/sql.js';
import type { RelatedRedactableField } from '../domain/correction.js';

/** Where a copy was replaced: the counts a redaction answers with. */
export type CopyKind =
  'positions' | 'escalations' | 'seniorDecisions' | 'plannedActions' | 'escalationEvents' | 'corrections';

/** A free-text column others wrote about an item in (or a key of a JSON column), and its rows about the item. */
interface Target {
  kind: CopyKind;
  table: PgTable;
  id: PgColumn;
  text: PgColumn;
  /** The key of the JSON object in `text` that holds the text. */
  key?: string;
  about: (itemId: string) => SQL;
}

const ofItem = (column: PgColumn) => (itemId: string) => sql`${column} = ${itemId}`;
/** Rows of the item's escalations (not those of the thread it joined: they are about the thread). */
const ofItemEscalations = (column: PgColumn, only?: SQL) => (itemId: string) =>
  sql`${column} IN (SELECT ie.id FROM ${escalations} ie WHERE ie.item_id = ${itemId})${only ? sql` AND ${only}` : sql``}`;

const EVENT_REASONS = sql`${escalationEvents.type} IN ('reassigned', 'escalated', 'snoozed', 'taken_over')
  AND ${escalationEvents.details} ->> 'reason' <> 'assignee_deactivated'`;

/**
 * The columns each related field names: what managers wrote with their positions on the item
 * (each position as kept in the alignment history, and the escalation's current position), the
 * reasons senior managers gave for their decisions on it, the planned actions and comments on its
 * escalations, the reasons given for escalating it by hand and for moving or snoozing its
 * escalations, and the reasons of its earlier corrections.
 */
const TARGETS: Record<RelatedRedactableField, Target[]> = {
  managerRationale: [
    {
      kind: 'positions',
      table: positionChanges,
      id: positionChanges.id,
      text: positionChanges.rationale,
      about: (itemId) => sql`${positionChanges.itemId} = ${itemId} AND ${positionChanges.side} = 'managerial'`,
    },
    {
      kind: 'escalations',
      table: escalations,
      id: escalations.id,
      text: escalations.stanceRationale,
      about: ofItem(escalations.itemId),
    },
  ],
  barrierNote: [
    {
      kind: 'positions',
      table: positionChanges,
      id: positionChanges.id,
      text: positionChanges.barrierNote,
      about: ofItem(positionChanges.itemId),
    },
    {
      kind: 'escalations',
      table: escalations,
      id: escalations.id,
      text: escalations.stanceBarrierNote,
      about: ofItem(escalations.itemId),
    },
  ],
  seniorDecisionReason: [
    {
      kind: 'seniorDecisions',
      table: seniorDecisions,
      id: seniorDecisions.id,
      text: seniorDecisions.reason,
      about: ofItem(seniorDecisions.itemId),
    },
  ],
  plannedActions: [
    {
      kind: 'plannedActions',
      table: escalationActions,
      id: escalationActions.id,
      text: escalationActions.description,
      about: ofItemEscalations(escalationActions.escalationId),
    },
  ],
  comments: [
    {
      kind: 'escalationEvents',
      table: escalationEvents,
      id: escalationEvents.id,
      text: escalationEvents.details,
      key: 'text',
      about: ofItemEscalations(escalationEvents.escalationId, sql`${escalationEvents.type} = 'comment'`),
    },
  ],
  escalationReasons: [
    {
      kind: 'escalations',
      table: escalations,
      id: escalations.id,
      text: escalations.reason,
      about: ofItem(escalations.itemId),
    },
    {
      kind: 'escalationEvents',
      table: escalationEvents,
      id: escalationEvents.id,
      text: escalationEvents.details,
      key: 'reason',
      about: ofItemEscalations(escalationEvents.escalationId, EVENT_REASONS),
    },
  ],
  correctionReasons: [
    {
      kind: 'corrections',
      table: itemCorrections,
      id: itemCorrections.id,
      text: itemCorrections.reason,
      about: ofItem(itemCorrections.itemId),
    },
  ],
};

const valueOf = (target: Target) => (target.key ? sql`${target.text} ->> ${target.key}` : sql`${target.text}`);

const holding = (target: Target, itemId: string) => sql`${target.about(itemId)} AND ${valueOf(target)} IS NOT NULL`;

/** The SET clause that puts `replacement` where the text was. */
function setText(target: Target, replacement: string) {
  const column = sql.identifier(target.text.name);
  return target.key
    ? sql`${column} = jsonb_set(${column}, ${`{${target.key}}`}::text[], to_jsonb(${replacement}::text))`
    : sql`${column} = ${replacement}`;
}

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
          UPDATE ${target.table} SET ${setText(target, replacement)}
          FROM (SELECT ${target.id} AS id, ${valueOf(target)} AS old FROM ${target.table}
                WHERE ${holding(target, itemId)} FOR UPDATE) held
          WHERE ${target.id} = held.id
          RETURNING held.id::text AS id, held.old`,
      );
      replaced.push(...updated.map((row) => ({ kind: target.kind, ...row, replacement })));
    }
  }
  return replaced;
}
