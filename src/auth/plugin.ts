import { and, eq, gt, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimiter, RateLimitRule } from '../http/rate-limit.js';
import fp from 'fastify-plugin';
import type { Database } from '../db/client.js';
import { preparedPer } from '../db/prepared.js';
import { apiTokens, staff, staffWards } from '../db/schema.js';
import type { Role } from '../domain/taxonomy.js';
import { LAST_USED_RESOLUTION_SECONDS, shouldRecordUse } from '../domain/token-lifetime.js';
import { AppError } from '../http/errors.js';
import type { Principal, TenantPrincipal } from './principal.js';
import { requireTenant } from './principal.js';
import { hashToken } from './tokens.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route: 'public', or the roles allowed. Routes without it are refused. */
    access?: 'public' | readonly Role[];
    /** Also accept the token as the HTTP Basic password (for browser pages such as Bull Board). */
    basicAuth?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The authenticated caller of a route that declared its roles; always present there. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthenticated', 'A bearer token is required');
  return request.principal;
}

export function tenantOf(request: FastifyRequest): TenantPrincipal {
  return requireTenant(principalOf(request));
}

// The scheme name is case-insensitive (RFC 9110 section 11.1). Opaque tokens are 47 characters;
// an identity provider's JWT is longer (often 1-2 KB), so up to 8 KB is read.
const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{1,8192})$/i;
/** A compact JWS: its header is base64url JSON, so it starts with `eyJ` ('{"'). */
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/** A caller resolved from a token, with when its token was last used (to record the use cheaply). */
export interface Resolved {
  principal: Principal;
  lastUsedAt: Date | null;
}

/** Signs in with an identity provider's JWT; null when the token is not valid for any organisation. */
export type JwtSignIn = (token: string) => Promise<Resolved | null>;

const tokenLookup = preparedPer((db) =>
  db
    .select({
      tokenId: apiTokens.id,
      kind: apiTokens.kind,
      organisationId: apiTokens.organisationId,
      staffId: apiTokens.staffId,
      wardId: apiTokens.wardId,
      staffRole: staff.role,
      staffDeactivatedAt: staff.deactivatedAt,
      lastUsedAt: apiTokens.lastUsedAt,
      staffWardIds: sql<
        string[]
      >`coalesce((select array_agg(${staffWards.wardId}::text) from ${staffWards} where ${staffWards.staffId} = ${apiTokens.staffId}), '{}')`,
    })
    .from(apiTokens)
    .leftJoin(staff, eq(staff.id, apiTokens.staffId))
    .where(
      and(
        eq(apiTokens.tokenHash, sql.placeholder('tokenHash')),
        isNull(apiTokens.revokedAt),
        or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`)),
        // A staff member's sign-in record is no bearer token (its hash is of a secret never given out).
        ne(apiTokens.kind, 'identity_provider'),
      ),
    )
    .limit(1)
    .prepare('token_lookup'),
);

/** An opaque API token's caller: null when the token is unknown, revoked, expired or its staff member inactive. */
export async function resolveToken(db: Database, token: string): Promise<Resolved | null> {
  const [row] = await tokenLookup(db).execute({ tokenHash: hashToken(token) });
  if (!row) return null;
  const lastUsedAt = row.lastUsedAt;
  if (row.kind === 'platform_admin') {
    const principal = { tokenId: row.tokenId, role: 'platform_admin' as const, organisationId: null, staffId: null };
    return { principal: { ...principal, wardIds: [] }, lastUsedAt };
  }
  if (row.kind === 'ward_device') {
    const wardIds = row.wardId ? [row.wardId] : [];
    const principal = { tokenId: row.tokenId, role: 'ward_device' as const, organisationId: row.organisationId };
    return { principal: { ...principal, staffId: null, wardIds }, lastUsedAt };
  }
  // A deactivated person's tokens were revoked with them; one issued in a race is refused too.
  if (!row.staffId || !row.staffRole || row.staffDeactivatedAt) return null;
  const principal = { tokenId: row.tokenId, role: row.staffRole, organisationId: row.organisationId };
  return { principal: { ...principal, staffId: row.staffId, wardIds: row.staffWardIds }, lastUsedAt };
}

/** The caller an opaque API token stands for (for seeding and benchmarks, which act without HTTP). */
export async function resolvePrincipal(db: Database, token: string): Promise<Principal | null> {
  return (await resolveToken(db, token))?.principal ?? null;
}

const recordUse = preparedPer((db) =>
  db
    .update(apiTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(apiTokens.id, sql.placeholder('tokenId')),
        or(
          isNull(apiTokens.lastUsedAt),
          lt(apiTokens.lastUsedAt, sql`now() - make_interval(secs => ${LAST_USED_RESOLUTION_SECONDS})`),
        ),
      ),
    )
    .prepare('token_record_use'),
);

/**
 * Records a token's use at most once a minute: the lookup already read its last use, so a busy
 * token costs no write, and the condition keeps processes racing on one token to one write.
 */
async function noteUse(db: Database, resolved: Resolved, request: FastifyRequest) {
  if (!shouldRecordUse(resolved.lastUsedAt, new Date())) return;
  try {
    await recordUse(db).execute({ tokenId: resolved.principal.tokenId });
  } catch (error) {
    request.log.warn({ err: error }, 'could not record when the token was last used');
  }
}

function basicPassword(header: string): string | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]{1,1024})$/.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const password = decoded.slice(decoded.indexOf(':') + 1);
  return /^[A-Za-z0-9._~+/=-]{1,512}$/.test(password) ? password : undefined;
}

export interface AuthLimits {
  limiter: RateLimiter;
  /** Failed authentications answered 401 per client address and window; later ones get 429. */
  authFailures: RateLimitRule;
  /** Writes allowed per token and window (a flood of escalations, a runaway client). */
  writes: RateLimitRule;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function tooManyRequests(reply: FastifyReply, retryAfterSeconds: number, what: string): never {
  reply.header('retry-after', String(retryAfterSeconds));
  throw new AppError('rate_limited', `${what}; retry after ${retryAfterSeconds} s`);
}

/** Authentication and role checks for every route, in one hook, from each route's `config.access`. */
export const authPlugin = fp(
  async (
    app: FastifyInstance,
    options: { db: Database; limits?: AuthLimits | undefined; signIn?: JwtSignIn | undefined },
  ) => {
    const limits = options.limits;
    // Failed sign-ins are counted per address, and only a failed one is refused for it: behind a
    // hospital's shared NAT one broken client must not lock every ward out. A valid token is never
    // refused by this limit (tokens carry 256 random bits, so guessing is not the threat it guards).
    const failed = async (request: FastifyRequest, reply: FastifyReply, message: string): Promise<never> => {
      if (limits) {
        const decision = await limits.limiter.hit(limits.authFailures, 'auth-fail', request.ip);
        if (!decision.allowed)
          tooManyRequests(reply, decision.retryAfterSeconds, 'Too many failed sign-ins from this address');
      }
      throw new AppError('unauthenticated', message);
    };
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request, reply) => {
      const access = request.routeOptions.config.access;
      if (access === 'public') return;
      if (!request.routeOptions.url) return; // unknown route: the 404 handler answers
      if (!access) throw new AppError('forbidden', 'This route is not available');

      const basic = request.routeOptions.config.basicAuth === true;
      if (basic) reply.header('www-authenticate', 'Basic realm="queues", charset="UTF-8"');
      const header = request.headers.authorization;
      if (!header) throw new AppError('unauthenticated', 'A bearer token is required');
      const token = BEARER.exec(header)?.[1] ?? (basic ? basicPassword(header) : undefined);
      if (!token) return failed(request, reply, 'The Authorization header must be "Bearer <token>"');
      const resolved =
        options.signIn && JWT_SHAPE.test(token) ? await options.signIn(token) : await resolveToken(options.db, token);
      if (!resolved) return failed(request, reply, 'The token is not valid or has been revoked');
      const principal = resolved.principal;
      if (!access.includes(principal.role)) {
        throw new AppError('forbidden', `The ${principal.role} role may not call this route`);
      }
      if (limits && WRITE_METHODS.has(request.method)) {
        const decision = await limits.limiter.hit(limits.writes, 'writes', principal.tokenId);
        if (!decision.allowed) tooManyRequests(reply, decision.retryAfterSeconds, 'Too many changes from this token');
      }
      await noteUse(options.db, resolved, request);
      request.principal = { ...principal, requestId: request.id };
    });
  },
  // Reads the access the route table gives pages of plugins; closing answers before it does any work.
  { name: 'auth', dependencies: ['route-table', 'graceful-close'] },
);
