import { createHash } from 'node:crypto';
import { and, eq, lt, or, sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import { startPeriodic } from '../background.js';
import type { Database } from '../db/client.js';
import { idempotencyKeys } from '../db/schema.js';
import { preparedPer } from '../db/prepared.js';
import { canonicalJson } from '../domain/canonical-json.js';
import { beginRequestTransaction, type RequestTransaction } from '../db/request-transaction.js';
import { AppError } from './errors.js';
import { loggableError } from './log-redaction.js';

const HEADER = 'idempotency-key';
/**
 * How long a claim committed on its own (by versions before claims lived in the request's
 * transaction) counts as running; after that a retry may take it over.
 */
const CLAIM_SECONDS = 60;

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyClaim: Claim | null;
  }
}

interface Claim {
  tokenId: string;
  key: string;
  fingerprint: string;
  /** The request's transaction: its changes and the key's answer commit together. */
  transaction: RequestTransaction;
}

/** Stable hash of what the client asked for: method, path and a canonical form of the body. */
function requestFingerprint(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.url}\n`)
    .update(canonicalJson(request.body ?? null))
    .digest('hex');
}

const claimedUntil = sql`now() + make_interval(secs => ${sql.raw(String(CLAIM_SECONDS))})`;

/**
 * Claims a key inside the request's transaction; returns a row if claimed. A key whose earlier
 * request with the same body got an error answer is claimed again (that answer wrote nothing),
 * as is a claim left 'in_progress' by a version that committed claims on their own. While
 * another request holds the key (uncommitted), this waits for it to commit or roll back.
 */
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
      set: { state: 'in_progress', lockedUntil: claimedUntil, createdAt: sql`now()` },
      setWhere: and(
        eq(idempotencyKeys.requestHash, sql.placeholder('fingerprint')),
        or(
          eq(idempotencyKeys.state, 'failed'),
          and(eq(idempotencyKeys.state, 'in_progress'), lt(idempotencyKeys.lockedUntil, sql`now()`)),
        ),
      ),
    })
    .returning({ key: idempotencyKeys.key })
    .prepare('idempotency_claim'),
);

/** The answer, written in the request's transaction just before it commits. */
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
    .where(
      and(eq(idempotencyKeys.tokenId, sql.placeholder('tokenId')), eq(idempotencyKeys.key, sql.placeholder('key'))),
    )
    .prepare('idempotency_complete'),
);

/**
 * After an error answer: the key stays bound to this request's body with no answer stored, so
 * the same request may run again and a different one is 422. A key already recorded is left as it is.
 */
const bindKey = preparedPer((db) =>
  db
    .insert(idempotencyKeys)
    .values({
      tokenId: sql.placeholder('tokenId'),
      key: sql.placeholder('key'),
      requestHash: sql.placeholder('fingerprint'),
      state: 'failed',
      lockedUntil: sql`now()`,
    })
    .onConflictDoNothing()
    .prepare('idempotency_bind'),
);

/**
 * Offline-safe POSTs: with an Idempotency-Key, a POST runs at most once per token and key.
 * The request runs in one transaction, and its answer is stored in that same transaction just
 * before the commit: the change and the answer are durable together or not at all, so a retry
 * gets the answer of what happened. A repeat with the same body replays the stored answer; a
 * repeat while the first is running waits for it and then replays it; a different body is 422.
 * An error answer is not stored, but binds the key to its body: the same request may be
 * retried (the error wrote nothing), a different one with that key is 422.
 */
export const idempotencyPlugin = fp(
  async (app: FastifyInstance, { db }: { db: Database }) => {
    app.decorateRequest('idempotencyClaim', null);

    // Callback style: the handler must run inside the request transaction's context.
    app.addHook('preHandler', (request, reply, done) => {
      claim(db, request, reply).then(
        (claimed) => {
          if (claimed === 'replayed') return;
          if (claimed) claimed.run(done);
          else done();
        },
        (error: Error) => done(error),
      );
    });

    app.addHook('onSend', async (request, reply, payload) => {
      const claim = request.idempotencyClaim;
      if (!claim) return payload;
      request.idempotencyClaim = null;
      if (reply.statusCode < 400) return completeOrBind(db, request, reply, payload, claim);
      // An error answer: whatever the request did is undone. This hook must not fail now (an
      // error raised while answering an error would reach Fastify's own handler, not ours).
      await claim.transaction.rollback();
      await bind(db, request, claim);
      return payload;
    });

    // A request that ended without an answer (it should not happen) must not keep its transaction.
    app.addHook('onResponse', async (request) => {
      const claim = request.idempotencyClaim;
      if (!claim) return;
      request.idempotencyClaim = null;
      await claim.transaction.rollback();
    });
  },
  // The key is the token's: the principal comes from authentication.
  { name: 'idempotency', dependencies: ['auth'] },
);

/** Claims the request's key, or replays the answer stored for it; null without a key. */
async function claim(
  db: Database,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<RequestTransaction | 'replayed' | null> {
  if (request.method !== 'POST') return null;
  const raw = request.headers[HEADER];
  if (raw === undefined) return null;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (!key || key.length > 255 || Array.isArray(raw)) {
    throw new AppError('bad_request', 'Idempotency-Key must be a single value of 1 to 255 characters');
  }
  if (!request.principal) return null;
  const tokenId = request.principal.tokenId;
  const fingerprint = requestFingerprint(request);

  const transaction = await beginRequestTransaction(db);
  let existing: typeof idempotencyKeys.$inferSelect | undefined;
  try {
    const claimed = await claimKey(transaction.tx).execute({ tokenId, key, fingerprint });
    if (claimed.length > 0) {
      request.idempotencyClaim = { tokenId, key, fingerprint, transaction };
      return transaction;
    }
    [existing] = await transaction.tx
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.tokenId, tokenId), eq(idempotencyKeys.key, key)));
  } finally {
    if (!request.idempotencyClaim) await transaction.rollback();
  }
  if (!existing) {
    throw new AppError('conflict', 'A request with this Idempotency-Key is finishing; retry shortly');
  }
  if (existing.requestHash !== fingerprint) {
    throw new AppError('unprocessable', 'This Idempotency-Key was already used for a different request');
  }
  if (existing.state !== 'completed') {
    throw new AppError('conflict', 'A request with this Idempotency-Key is still being processed; retry shortly');
  }
  replay(reply, existing);
  return 'replayed';
}

/** A successful answer: stored with the key, and committed with the request's changes. */
async function completeOrBind(
  db: Database,
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  claim: Claim,
) {
  try {
    await completeKey(claim.transaction.tx).execute({
      tokenId: claim.tokenId,
      key: claim.key,
      status: reply.statusCode,
      body: storableBody(payload),
      contentType: String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8'),
    });
    await claim.transaction.commit();
    return payload;
  } catch (error) {
    // Nothing was written (or, if the connection died during the commit, both were):
    // the error handler answers 503, and this answer binds the key like any error.
    await claim.transaction.rollback();
    await bind(db, request, claim);
    throw error;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The answer as the text a replay sends back. onSend sees what the serialiser wrote (a string) or
 * what a route sent as it is: a Buffer is kept when it is UTF-8 text, an object not yet
 * serialised is stored as its JSON. A stream cannot be stored without consuming the answer the
 * client is about to receive, and binary bytes do not fit the text column: either throws, so
 * the request's changes roll back and the client gets an error it may retry, rather than a
 * committed change whose stored answer a retry would replay wrongly.
 */
export function storableBody(payload: unknown): string {
  if (payload == null) return '';
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) return utf8.decode(payload);
  if (typeof (payload as { pipe?: unknown }).pipe === 'function') {
    throw new Error('an idempotent request answered with a stream, whose answer cannot be stored for a replay');
  }
  return JSON.stringify(payload);
}

async function bind(db: Database, request: FastifyRequest, claim: Claim) {
  try {
    await bindKey(db).execute({ tokenId: claim.tokenId, key: claim.key, fingerprint: claim.fingerprint });
  } catch (error) {
    // The database is away: the key stays free, which is right too (nothing was written).
    request.log.warn({ err: loggableError(error) }, 'could not bind the Idempotency-Key to its request');
  }
}

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
