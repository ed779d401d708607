import { createHmac } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { escalations, notifications, organisations, staff, wards, webhookDeliveries } from '../db/schema.js';
import { assertDeliverable, type WebhookUrlPolicy } from './url.js';

export const SIGNATURE_HEADER = 'x-briefings-signature';
export const TIMESTAMP_HEADER = 'x-briefings-timestamp';
export const EVENT_ID_HEADER = 'x-briefings-event-id';

/** v1=hex(HMAC-SHA256(secret, `${timestamp}.${body}`)); receivers reject old timestamps to stop replays. */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface DeliveryOptions extends WebhookUrlPolicy {
  timeoutMs: number;
}

export type DeliveryResult = 'delivered' | 'skipped';

/**
 * Delivers one notification's event to the organisation's webhook and records the attempt.
 * Throws on failure so the queue retries with backoff. Receivers deduplicate on the event id
 * (delivery is at least once).
 */
export async function deliverWebhook(
  db: Database,
  payload: { notificationId: string },
  attempt: number,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const [row] = await db
    .select({
      notification: notifications,
      escalation: escalations,
      url: organisations.webhookUrl,
      secret: organisations.webhookSecret,
      recipient: { id: staff.id, name: staff.name, email: staff.email },
      ward: { id: wards.id, code: wards.code, name: wards.name },
    })
    .from(notifications)
    .innerJoin(escalations, eq(escalations.id, notifications.escalationId))
    .innerJoin(organisations, eq(organisations.id, notifications.organisationId))
    .innerJoin(staff, eq(staff.id, notifications.recipientStaffId))
    .innerJoin(wards, eq(wards.id, escalations.wardId))
    .where(eq(notifications.id, payload.notificationId));
  if (!row || !row.url || !row.secret) return 'skipped';

  const body = JSON.stringify({
    id: row.notification.id,
    type: `escalation.${row.notification.type}`,
    occurredAt: row.notification.createdAt.toISOString(),
    organisationId: row.notification.organisationId,
    data: {
      escalationId: row.escalation.id,
      itemId: row.escalation.itemId,
      ward: row.ward,
      band: row.escalation.band,
      // As the notification announced it: every attempt at one event carries the same body.
      level: row.notification.level + 1,
      dueAt: row.notification.dueAt.toISOString(),
      recipient: row.recipient,
    },
  });
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const started = Date.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    await assertDeliverable(row.url, options);
    const response = await fetch(row.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'ward-safety-briefings-webhooks/1',
        [EVENT_ID_HEADER]: row.notification.id,
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: signPayload(row.secret, timestamp, body),
      },
      body,
    });
    statusCode = response.status;
    await response.body?.cancel();
    if (!response.ok) error = `receiver answered ${response.status}`;
  } catch (failure) {
    error = failure instanceof Error ? failure.message.slice(0, 300) : 'delivery failed';
  }
  await db.insert(webhookDeliveries).values({
    organisationId: row.notification.organisationId,
    notificationId: row.notification.id,
    attempt,
    url: row.url,
    statusCode,
    error,
    succeeded: error === null,
    durationMs: Date.now() - started,
  });
  if (error) throw new Error(`webhook delivery failed: ${error}`);
  return 'delivered';
}
