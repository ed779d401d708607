import { eq } from 'drizzle-orm';
import { auditInsert, textRef } from '../audit/record.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { ItemRow } from '../db/rows.js';
import { items } from '../db/schema.js';
import { riskBand, riskScore, type BandThresholds } from '../domain/risk.js';
import { reevaluateAmendedItem, type AmendmentEffect } from '../escalations/reevaluate-thread.js';
import type { ServiceDeps } from '../deps.js';
import { AppError, conflict } from '../http/errors.js';
import { screenFreeText, textFields } from '../screening/free-text.js';
import type { AmendItem } from './schemas.js';
import { correctorOf, lockItem, mayCorrect, recordCorrection, settingsOf } from './shared.js';

type Amended = Pick<ItemRow, 'kind' | 'category' | 'description' | 'consequence' | 'likelihood' | 'harm'>;

/**
 * Amends an item's grading or wording, with a reason. The score and band follow a new
 * consequence or likelihood, and a new band re-evaluates the item's escalation, or its thread's
 * (src/escalations/reevaluate-thread.ts): all in one transaction with the item locked. Free text is screened as at the
 * briefing.
 */
export async function amendItem(
  deps: ServiceDeps,
  principal: TenantPrincipal,
  itemId: string,
  input: AmendItem,
  now = new Date(),
): Promise<{ item: ItemRow; correctionId: string; escalation: AmendmentEffect }> {
  const settings = await settingsOf(deps.db, principal.organisationId);
  const screen = screenFreeText(
    textFields({ description: input.description, reason: input.reason }),
    settings.identifierPolicy,
  );
  const description = input.description && screen.redactedText('description', input.description);
  const reason = screen.redactedText('reason', input.reason);
  const result = await deps.db.transaction(async (tx) => {
    const current = await lockItem(tx, principal, itemId, { voided: 'refuse', mayAct: mayCorrect });
    const next = amended(current, { ...input, description }, settings.bandThresholds);
    const changes = changesOf(current, next);
    if (Object.keys(changes).length === 0) {
      throw new AppError('validation_failed', 'The amendment changes nothing', {
        errors: [{ path: 'body', message: 'every field given already has that value' }],
      });
    }
    const [item] = await tx.update(items).set(next).where(eq(items.id, current.id)).returning();
    const who = correctorOf(principal, settings.webhook, now);
    const correction = await recordCorrection(tx, current, { action: 'amended', changes, reason }, who);
    await tx.execute(auditInsert([correction.audit]));
    const escalation = await reevaluateAmendedItem(tx, item!, current.riskBand, who);
    return { item: item!, correctionId: correction.id, escalation };
  });
  deps.relay.nudge();
  return result;
}

/** The item's fields after the amendment, with its score and band recomputed. */
function amended(current: ItemRow, input: Partial<AmendItem>, thresholds: BandThresholds) {
  const graded = current.kind !== 'good_practice';
  if (!graded && (input.kind || input.consequence || input.likelihood)) {
    throw conflict('Good practice has no kind, consequence or likelihood to amend; void it and record it again');
  }
  const consequence = input.consequence ?? current.consequence;
  const likelihood = input.likelihood ?? current.likelihood;
  const score = graded && consequence && likelihood ? riskScore(consequence, likelihood) : null;
  return {
    kind: input.kind ?? current.kind,
    category: input.category ?? current.category,
    description: input.description ?? current.description,
    consequence,
    likelihood,
    harm: input.harm === undefined ? current.harm : input.harm,
    riskScore: score,
    riskBand: score === null ? null : riskBand(score, thresholds),
  } satisfies Amended & Pick<ItemRow, 'riskScore' | 'riskBand'>;
}

/** { field: { from, to } } of what the amendment changes; free text only by its name. */
function changesOf(current: ItemRow, next: ReturnType<typeof amended>) {
  const changes: Record<string, unknown> = {};
  for (const field of ['kind', 'category', 'consequence', 'likelihood', 'harm', 'riskScore', 'riskBand'] as const) {
    if (current[field] !== next[field]) changes[field] = { from: current[field], to: next[field] };
  }
  if (current.description !== next.description) {
    changes.description = { from: textRef(current.description), to: textRef(next.description) };
  }
  return changes;
}
