import { createHmac } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { raisedAgainMessage } from '../domain/escalation-thread.js';
import { escalations, notifications, organisations, staff, wards } from '../db/schema.js';
import { resolveDeliverable, type CheckedTarget, type ResolveHost, type WebhookUrlPolicy } from './url.js';

export const SIGNATURE_HEADER = 'x-briefings-signature';
export const TIMESTAMP_HEADER = 'x-briefings-timestamp';
export const EVENT_ID_HEADER = 'x-briefings-event-id';

/** v1=hex(HMAC-SHA256(secret, `${timestamp}.${body}`)); receivers reject old timestamps to stop replays. */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface DeliveryOptions extends WebhookUrlPolicy {
  timeoutMs: number;
  /** The resolver delivery checks names with (tests inject one); the system's by default. */
  resolve?: ResolveHost | undefined;
}

/**
 * POSTs `body` to the checked target and answers the receiver's status. The connection goes to
 * the address that was checked (the `lookup` below never asks DNS again), so an answer that
 * changes between the check and the connection cannot point the request inward; the Host header
 * and the TLS server name stay the URL's host. Redirects are not followed.
 */
export function postToTarget(
  target: CheckedTarget,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  const { url, host, address, family } = target;
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: pinned,
        // A connection of its own: a pooled one could have been opened to another address.
        agent: false,
        signal: AbortSignal.timeout(timeoutMs),
        ...(isIP(host) ? {} : { servername: host }),
      },
      (response: IncomingMessage) => {
        response.resume(); // the body is not read; the status is the answer
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** One attempt at one event, as webhook_deliveries records it. */
export interface DeliveryAttempt {
  organisationId: string;
  notificationId: string;
  url: string;
  statusCode: number | null;
  error: string | null;
  succeeded: boolean;
  durationMs: number;
}

/**
 * Sends one notification's event to its organisation's webhook, once; the caller records the
 * attempt and decides on a retry. Null when there is nothing to send (no webhook any more).
 * Receivers deduplicate on the event id (delivery is at least once).
 */
export async function sendNotificationEvent(
  db: Database,
  notificationId: string,
  options: DeliveryOptions,
): Promise<DeliveryAttempt | null> {
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
    .where(eq(notifications.id, notificationId));
  if (!row || !row.url || !row.secret) return null;

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
      ...(row.notification.type === 'raised_again' && row.notification.raisedCount !== null
        ? {
            threadId: row.escalation.threadId,
            raisedCount: row.notification.raisedCount,
            message: raisedAgainMessage(row.notification.raisedCount),
          }
        : {}),
    },
  });
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const started = Date.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const target = await resolveDeliverable(row.url, options, options.resolve);
    statusCode = await postToTarget(
      target,
      {
        'content-type': 'application/json',
        'user-agent': 'ward-safety-briefings-webhooks/1',
        [EVENT_ID_HEADER]: row.notification.id,
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: signPayload(row.secret, timestamp, body),
      },
      body,
      options.timeoutMs,
    );
    if (statusCode < 200 || statusCode > 299) error = `receiver answered ${statusCode}`;
  } catch (failure) {
    error = failure instanceof Error ? failure.message.slice(0, 300) : 'delivery failed';
  }
  return {
    organisationId: row.notification.organisationId,
    notificationId: row.notification.id,
    url: row.url,
    statusCode,
    error,
    succeeded: error === null,
    durationMs: Date.now() - started,
  };
}
