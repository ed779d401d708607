import { randomBytes } from 'node:crypto';
import { desc, eq, sql } from 'drizzle-orm';
import type { TenantPrincipal } from '../auth/principal.js';
import { actorOf, recordAudit } from '../audit/record.js';
import type { Database } from '../db/client.js';
import { organisations, webhookDeliveries } from '../db/schema.js';
import { AppError } from '../http/errors.js';
import { webhookUrlProblem, type WebhookUrlPolicy } from './url.js';

/**
 * An organisation's webhook: where its escalation events go and the secret they are signed with
 * (columns of the organisation), and the record of delivery attempts.
 */

/** Whether the organisation has a webhook, as a column to select next to others. */
export const hasWebhook = () => sql<boolean>`${organisations.webhookUrl} is not null`;

/** Sets the webhook for escalation events; a new signing secret is returned once. */
export async function setWebhook(db: Database, principal: TenantPrincipal, url: string, policy: WebhookUrlPolicy) {
  const problem = webhookUrlProblem(url, policy);
  if (problem) {
    throw new AppError('validation_failed', `url ${problem}`, { errors: [{ path: 'body.url', message: problem }] });
  }
  const secret = `whsec_${randomBytes(32).toString('base64url')}`;
  await saveWebhook(db, principal, { webhookUrl: url, webhookSecret: secret }, 'webhook_set', { webhookUrl: url });
  return { url, secret };
}

export async function removeWebhook(db: Database, principal: TenantPrincipal) {
  await saveWebhook(db, principal, { webhookUrl: null, webhookSecret: null }, 'webhook_removed', {});
}

/** The organisation's webhook columns and the audit entry of their change, in one transaction. */
async function saveWebhook(
  db: Database,
  principal: TenantPrincipal,
  webhook: { webhookUrl: string | null; webhookSecret: string | null },
  action: 'webhook_set' | 'webhook_removed',
  changes: Record<string, unknown>,
) {
  const organisationId = principal.organisationId;
  await db.transaction(async (tx) => {
    await tx.update(organisations).set(webhook).where(eq(organisations.id, organisationId));
    await recordAudit(tx, {
      organisationId,
      actor: actorOf(principal),
      entityType: 'organisation',
      entityId: organisationId,
      action,
      changes,
    });
  });
}

export async function listWebhookDeliveries(db: Database, organisationId: string) {
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.organisationId, organisationId))
    .orderBy(desc(webhookDeliveries.id))
    .limit(200);
  return rows.map((r) => ({
    id: r.id,
    notificationId: r.notificationId,
    attempt: r.attempt,
    url: r.url,
    statusCode: r.statusCode,
    error: r.error,
    succeeded: r.succeeded,
    durationMs: r.durationMs,
    createdAt: r.createdAt.toISOString(),
  }));
}
