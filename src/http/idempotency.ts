import { createHash } from 'node:crypto';
import { and, eq, lt, sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import { startPeriodic } from '../background.js';
import type { Database } from '../db/client.js';
import { idempotencyKeys } from '../db/schema.js';
import { preparedPer } from '../db/prepared.js';
import { AppError } from './errors.js';

const HEADER = 'idempotency-key';
/** A claim older than this belongs to a request that died; a retry may take it over. */
const CLAIM_SECONDS = 60;

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyClaim: { tokenId: string; key: string } | null;
  }
}

/** Stable hash of what the client asked for: method, path and a canonical form of the body. */
function requestFingerprint(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.url}\n`)
    .update(canonicalJson(request.body ?? null))
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const claimedUntil = sql`now() + make_interval(secs => ${sql.raw(String(CLAIM_SECONDS))})`;

/** Claims a key, or takes over an abandoned claim for the same request; returns a row if claimed. */
const claimKey = preparedPer((db) =>
  db
    .insert(idempotencyKeys)
    .values({
      tokenId: sql.placeholder('tokenId'),
      key: sql.placeholder('key'),
      requestHash: sql.placeholder('fingerprint'),
      state: 'in_progress',
      lockedUntil: claimedUntil,
    })
    .onConflictDoUpdate({
      target: [idempotencyKeys.tokenId, idempotencyKeys.key],
      set: { lockedUntil: claimedUntil, createdAt: sql`now()` },
      setWhere: and(
        eq(idempotencyKeys.state, 'in_progress'),
        eq(idempotencyKeys.requestHash, sql.placeholder('fingerprint')),
        lt(idempotencyKeys.lockedUntil, sql`now()`),
      ),
    })
    .returning({ key: idempotencyKeys.key })
    .prepare('idempotency_claim'),
);

const completeKey = preparedPer((db) =>
  db
    .update(idempotencyKeys)
    .set({
      state: 'completed',
      // set() takes SQL, not a bare placeholder.
      responseStatus: sql`${sql.placeholder('status')}`,
      responseBody: sql`${sql.placeholder('body')}`,
      responseContentType: sql`${sql.placeholder('contentType')}`,
    })
    .where(and(eq(idempotencyKeys.tokenId, sql.placeholder('tokenId')), eq(idempotencyKeys.key, sql.placeholder('key'))))
    .prepare('idempotency_complete'),
);

/**
 * Offline-safe POSTs: with an Idempotency-Key, a POST runs at most once per token and key.
 * A repeat with the same body replays the stored answer; a different body is 422; a repeat
 * while the first is still running is 409. Error answers are not stored, so a corrected request
 * can be retried with the same key.
 */
export const idempotencyPlugin = fp(async (app: FastifyInstance, options: { db: Database }) => {
  const { db } = options;
  app.decorateRequest('idempotencyClaim', null);

  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST') return;
    const raw = request.headers[HEADER];
    if (raw === undefined) return;
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (!key || key.length > 255 || Array.isArray(raw)) {
      throw new AppError('bad_request', 'Idempotency-Key must be a single value of 1 to 255 characters');
    }
    if (!request.principal) return;
    const tokenId = request.principal.tokenId;
    const fingerprint = requestFingerprint(request);

    const claimed = await claimKey(db).execute({ tokenId, key, fingerprint });
    if (claimed.length > 0) {
      request.idempotencyClaim = { tokenId, key };
      return;
    }

    const [existing] = await db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.tokenId, tokenId), eq(idempotencyKeys.key, key)));
    if (!existing) {
      throw new AppError('conflict', 'A request with this Idempotency-Key is finishing; retry shortly');
    }
    if (existing.requestHash !== fingerprint) {
      throw new AppError('unprocessable', 'This Idempotency-Key was already used for a different request');
    }
    if (existing.state === 'in_progress') {
      throw new AppError('conflict', 'A request with this Idempotency-Key is still being processed; retry shortly');
    }
    return replay(reply, existing);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotencyClaim;
    if (!claim) return payload;
    request.idempotencyClaim = null;
    const where = and(eq(idempotencyKeys.tokenId, claim.tokenId), eq(idempotencyKeys.key, claim.key));
    // Only outcomes that wrote something are kept; a refused request changed nothing, so the
    // client may correct it and retry with the same key.
    if (reply.statusCode >= 400) {
      await db.delete(idempotencyKeys).where(where);
      return payload;
    }
    await completeKey(db).execute({
      tokenId: claim.tokenId,
      key: claim.key,
      status: reply.statusCode,
      body: typeof payload === 'string' ? payload : payload == null ? '' : String(payload),
      contentType: String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8'),
    });
    return payload;
  });
});

function replay(
  reply: FastifyReply,
  stored: { responseStatus: number | null; responseBody: string | null; responseContentType: string | null },
) {
  return reply
    .status(stored.responseStatus ?? 200)
    .header('idempotent-replayed', 'true')
    .type(stored.responseContentType ?? 'application/json; charset=utf-8')
    .serializer((payload: unknown) => payload as string)
    .send(stored.responseBody ?? '');
}

/** Keys are kept at least the retention period; older ones are removed by startIdempotencyPurge. */
export async function purgeExpiredIdempotencyKeys(db: Database, retentionDays: number): Promise<number> {
  const removed = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, sql`now() - make_interval(days => ${retentionDays})`))
    .returning({ key: idempotencyKeys.key });
  return removed.length;
}

/** In worker processes: removes expired keys at start and every hour (any number may run it). */
export function startIdempotencyPurge(db: Database, logger: Logger, retentionDays: number, intervalMs = 3_600_000) {
  const purge = startPeriodic({
    name: 'removing expired Idempotency-Key records',
    intervalMs,
    logger,
    run: async () => {
      const removed = await purgeExpiredIdempotencyKeys(db, retentionDays);
      if (removed > 0) logger.info({ removed, retentionDays }, 'expired Idempotency-Key records removed');
    },
  });
  void purge.runNow();
  return purge;
}
