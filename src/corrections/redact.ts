import { and, eq, inArray, sql } from 'drizzle-orm';
import { auditInsert } from '../audit/record.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { Transaction } from '../db/client.js';
import type { ItemRow } from '../db/rows.js';
import { apiTokens, escalations, idempotencyKeys, items, positionChanges } from '../db/schema.js';
import { REDACTABLE_FIELDS, type RedactableField } from '../domain/correction.js';
import type { ServiceDeps } from '../deps.js';
import { AppError } from '../http/errors.js';
import { screenFreeText, textFields } from '../screening/free-text.js';
import type { RedactItem } from './schemas.js';
import { correctorOf, lockItem, recordCorrection, settingsOf } from './shared.js';

const onlyAdmins = (principal: TenantPrincipal) => principal.role === 'org_admin';

/**
 * An organisation administrator replaces free text that should never have been stored (a name,
 * a phone number): the item's fields, and every copy of the old text the service keeps beside
 * it (the clinical positions that held the rationale, the escalation outcome note that held the
 * resolution note, stored Idempotency-Key answers). The audit trail never held the text (it
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
  // The replacement is screened as the original was: an identifier in it is refused or removed.
  const screen = screenFreeText(
    textFields({
      reason: input.reason,
      ...Object.fromEntries(given.map((field) => [`fields.${field}`, input.fields[field]])),
    }),
    settings.identifierPolicy,
  );
  const replacement = (field: RedactableField) => screen.redactedText(`fields.${field}`, input.fields[field]!);
  return deps.db.transaction(async (tx) => {
    const item = await lockItem(tx, principal, itemId, { voided: 'allow', mayAct: onlyAdmins });
    const empty = given.filter((field) => item[field] === null);
    if (empty.length > 0) {
      throw new AppError('validation_failed', 'Only text the item holds can be redacted', {
        errors: empty.map((field) => ({ path: `body.fields.${field}`, message: 'the item has no such text' })),
      });
    }
    const set = Object.fromEntries(given.map((field) => [field, replacement(field)])) as Partial<ItemRow>;
    await tx.update(items).set(set).where(eq(items.id, item.id));
    const copies = await redactCopies(tx, item, set);
    const who = correctorOf(principal, settings.webhook, now);
    const changes = { fields: given };
    const correction = await recordCorrection(
      tx,
      item,
      { action: 'redacted', changes, reason: screen.redactedText('reason', input.reason) },
      who,
    );
    await tx.execute(auditInsert([correction.audit]));
    return { id: item.id, fields: given, correctionId: correction.id, copies };
  });
}

/** The copies of the replaced text kept beside the item, replaced the same way. */
async function redactCopies(tx: Transaction, item: ItemRow, set: Partial<ItemRow>) {
  let positions = 0;
  let escalationNotes = 0;
  if (set.clinicalRationale !== undefined && item.clinicalRationale !== null) {
    positions = (
      await tx
        .update(positionChanges)
        .set({ rationale: set.clinicalRationale })
        .where(and(eq(positionChanges.itemId, item.id), eq(positionChanges.rationale, item.clinicalRationale)))
        .returning({ id: positionChanges.id })
    ).length;
  }
  if (set.resolutionNote !== undefined && item.resolutionNote !== null) {
    escalationNotes = (
      await tx
        .update(escalations)
        .set({ outcomeNote: set.resolutionNote })
        .where(and(eq(escalations.itemId, item.id), eq(escalations.outcomeNote, item.resolutionNote)))
        .returning({ id: escalations.id })
    ).length;
  }
  const storedAnswers = new Set<string>();
  for (const field of REDACTABLE_FIELDS) {
    const old = item[field];
    if (set[field] === undefined || old === null) continue;
    for (const key of await redactStoredAnswers(tx, item.organisationId, old, set[field] as string)) {
      storedAnswers.add(key);
    }
  }
  return { positions, escalations: escalationNotes, storedAnswers: storedAnswers.size };
}

/**
 * An Idempotency-Key's stored answer is the JSON the client was sent (the briefing with its
 * items): the old text is replaced in it as JSON encodes it, for the organisation's tokens.
 */
async function redactStoredAnswers(tx: Transaction, organisationId: string, old: string, replacement: string) {
  const encoded = (text: string) => JSON.stringify(text).slice(1, -1);
  const updated = await tx
    .update(idempotencyKeys)
    .set({ responseBody: sql`replace(${idempotencyKeys.responseBody}, ${encoded(old)}, ${encoded(replacement)})` })
    .where(
      and(
        inArray(
          idempotencyKeys.tokenId,
          tx.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.organisationId, organisationId)),
        ),
        sql`strpos(${idempotencyKeys.responseBody}, ${encoded(old)}) > 0`,
      ),
    )
    .returning({ tokenId: idempotencyKeys.tokenId, key: idempotencyKeys.key });
  return updated.map((row) => `${row.tokenId} ${row.key}`);
}
