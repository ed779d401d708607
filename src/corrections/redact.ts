import { and, eq, exists, inArray, or, sql } from 'drizzle-orm';
import { auditInsert } from '../audit/record.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { Transaction } from '../db/client.js';
import type { ItemRow } from '../db/rows.js';
import { apiTokens, escalations, idempotencyKeys, items, positionChanges } from '../db/schema.js';
import {
  REDACTABLE_FIELDS,
  RELATED_REDACTABLE_FIELDS,
  type RedactableField,
  type RelatedRedactableField,
} from '../domain/correction.js';
import type { ServiceDeps } from '../deps.js';
import { AppError } from '../http/errors.js';
import { screenFreeText, textFields } from '../screening/free-text.js';
import { redactRelated, relatedWithoutText, type CopyKind, type ReplacedCopy } from './redact-related.js';
import type { RedactItem } from './schemas.js';
import { correctorOf, lockItem, recordCorrection, settingsOf } from './shared.js';

const onlyAdmins = (principal: TenantPrincipal) => principal.role === 'org_admin';

/**
 * An organisation administrator replaces free text that should never have been stored (a name,
 * a phone number): the item's fields, and every copy of the old text the service keeps beside
 * it (the clinical positions that held the rationale, the escalation outcome note that held the
 * resolution note, stored Idempotency-Key answers), and what managers wrote about the item when
 * named (their positions' rationale and barrier notes, senior decisions' reasons, with the stored
 * answers that quoted them). The audit trail never held the text (it
 * references free text by length only), so nothing in the hash chain changes: the redaction is
 * one more event naming the fields, who and why. Voided items can be redacted too.
 */
export async function redactItem(
  deps: ServiceDeps,
  principal: TenantPrincipal,
  itemId: string,
  input: RedactItem,
  now = new Date(),
) {
  const settings = await settingsOf(deps.db, principal.organisationId);
  const given = REDACTABLE_FIELDS.filter((field) => input.fields[field] !== undefined);
  const related = RELATED_REDACTABLE_FIELDS.filter((field) => input.fields[field] !== undefined);
  // The replacement is screened as the original was: an identifier in it is refused or removed.
  const screen = screenFreeText(
    textFields({
      reason: input.reason,
      ...Object.fromEntries([...given, ...related].map((field) => [`fields.${field}`, input.fields[field]])),
    }),
    settings.identifierPolicy,
  );
  const replacement = (field: RedactableField | RelatedRedactableField) =>
    screen.redactedText(`fields.${field}`, input.fields[field]!);
  return deps.db.transaction(async (tx) => {
    const item = await lockItem(tx, principal, itemId, { voided: 'allow', mayAct: onlyAdmins });
    const empty = [
      ...given.filter((field) => item[field] === null),
      ...(await relatedWithoutText(tx, item.id, related)),
    ];
    if (empty.length > 0) {
      throw new AppError('validation_failed', 'Only text the item holds can be redacted', {
        errors: empty.map((field) => ({ path: `body.fields.${field}`, message: 'the item has no such text' })),
      });
    }
    const set = Object.fromEntries(given.map((field) => [field, replacement(field)])) as Partial<ItemRow>;
    if (given.length > 0) await tx.update(items).set(set).where(eq(items.id, item.id));
    const others = await redactRelated(
      tx,
      item.id,
      Object.fromEntries(related.map((field) => [field, replacement(field)])),
    );
    const copies = await redactCopies(tx, item, set, others);
    const who = correctorOf(principal, settings.webhook, now);
    const changes = { fields: [...given, ...related] };
    const correction = await recordCorrection(
      tx,
      item,
      { action: 'redacted', changes, reason: screen.redactedText('reason', input.reason) },
      who,
    );
    await tx.execute(auditInsert([correction.audit]));
    return { id: item.id, fields: changes.fields, correctionId: correction.id, copies };
  });
}

/**
 * The copies of the replaced text kept beside the item, replaced the same way, counted with the
 * rows about the item already replaced (`others`); stored answers that quoted any old text too.
 */
async function redactCopies(tx: Transaction, item: ItemRow, set: Partial<ItemRow>, others: ReplacedCopy[]) {
  const positions = new Set(others.filter((c) => c.kind === 'positions').map((c) => c.id));
  const escalationIds = new Set(others.filter((c) => c.kind === 'escalations').map((c) => c.id));
  if (set.clinicalRationale !== undefined && item.clinicalRationale !== null) {
    const updated = await tx
      .update(positionChanges)
      .set({ rationale: set.clinicalRationale })
      .where(and(eq(positionChanges.itemId, item.id), eq(positionChanges.rationale, item.clinicalRationale)))
      .returning({ id: positionChanges.id });
    for (const row of updated) positions.add(String(row.id));
  }
  if (set.resolutionNote !== undefined && item.resolutionNote !== null) {
    const updated = await tx
      .update(escalations)
      .set({ outcomeNote: set.resolutionNote })
      .where(and(eq(escalations.itemId, item.id), eq(escalations.outcomeNote, item.resolutionNote)))
      .returning({ id: escalations.id });
    for (const row of updated) escalationIds.add(row.id);
  }
  const replaced = new Map<string, string>(others.map((c) => [c.old, c.replacement]));
  for (const field of REDACTABLE_FIELDS) {
    const old = item[field];
    if (set[field] !== undefined && old !== null) replaced.set(old, set[field] as string);
  }
  const storedAnswers = new Set<string>();
  for (const [old, replacement] of replaced) {
    for (const key of await redactStoredAnswers(tx, item, old, replacement)) storedAnswers.add(key);
  }
  const counted = (kind: CopyKind) => new Set(others.filter((c) => c.kind === kind).map((c) => c.id)).size;
  return {
    positions: positions.size,
    escalations: escalationIds.size,
    seniorDecisions: counted('seniorDecisions'),
    plannedActions: counted('plannedActions'),
    escalationEvents: counted('escalationEvents'),
    corrections: counted('corrections'),
    storedAnswers: storedAnswers.size,
  };
}

/**
 * An Idempotency-Key's stored answer is the JSON the client was sent. Only answers about the
 * item (they name it or one of its escalations) are changed, and in them only a value that is
 * the old text as a whole JSON string: a short old text ("Seen") reaches no other answer and no
 * longer text that merely contains it.
 */
async function redactStoredAnswers(tx: Transaction, item: ItemRow, old: string, replacement: string) {
  const body = idempotencyKeys.responseBody;
  const oldValue = JSON.stringify(old);
  const updated = await tx
    .update(idempotencyKeys)
    .set({ responseBody: sql`replace(${body}, ${oldValue}, ${JSON.stringify(replacement)})` })
    .where(
      and(
        inArray(
          idempotencyKeys.tokenId,
          tx.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.organisationId, item.organisationId)),
        ),
        sql`strpos(${body}, ${oldValue}) > 0`,
        or(
          sql`strpos(${body}, ${item.id}) > 0`,
          exists(
            tx
              .select({ id: escalations.id })
              .from(escalations)
              .where(and(eq(escalations.itemId, item.id), sql`strpos(${body}, ${escalations.id}::text) > 0`)),
          ),
        ),
      ),
    )
    .returning({ tokenId: idempotencyKeys.tokenId, key: idempotencyKeys.key });
  return updated.map((row) => `${row.tokenId} ${row.key}`);
}
