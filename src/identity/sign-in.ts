import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import type { Logger } from 'pino';
import type { JwtSignIn, Resolved } from '../auth/plugin.js';
import { hashToken } from '../auth/tokens.js';
import type { OidcSettings } from '../config.js';
import type { Database } from '../db/client.js';
import { preparedPer } from '../db/prepared.js';
import { apiTokens, identityProviders, staff, staffWards } from '../db/schema.js';
import { ProviderKeys } from './keys.js';

/**
 * Sign-in with an organisation's identity provider: the provider's JWT (an ID token, or an
 * access token issued as a JWT) is the bearer token. The token's `iss` selects the organisations
 * configured with that issuer and its `aud` the one among them (trusts sharing an issuer, as on
 * NHS CIS2, have different audiences); the signature is checked against the issuer's published
 * keys, with only asymmetric algorithms, and the issuer, audience and expiry against the
 * configuration. The configured claim names an active staff member of that organisation, whose
 * role and wards decide what the person may do. Any failure is the same "not valid" to the caller;
 * the reason is logged (never the token).
 */

/** Asymmetric only: never `none`, never HMAC (which would take the provider's public key as a secret). */
export const ACCEPTED_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
/** Clock difference allowed between the provider and the service on exp and nbf. */
const CLOCK_TOLERANCE_SECONDS = 5;

const providersOfIssuer = preparedPer((db) =>
  db
    .select()
    .from(identityProviders)
    .where(eq(identityProviders.issuer, sql.placeholder('issuer')))
    .prepare('identity_providers_of_issuer'),
);

type Provider = typeof identityProviders.$inferSelect;

/** The one provider configuration the token's issuer and audience select, if exactly one does. */
function configurationFor(candidates: Provider[], aud: JWTPayload['aud']): Provider | null {
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  const matching = candidates.filter((candidate) => audiences.includes(candidate.audience));
  return matching.length === 1 ? matching[0]! : null;
}

async function staffMember(db: Database, provider: Provider, value: string) {
  const match = provider.claim === 'email' ? sql`lower(${staff.email}) = lower(${value})` : eq(staff.externalId, value);
  const [row] = await db
    .select({
      id: staff.id,
      role: staff.role,
      deactivatedAt: staff.deactivatedAt,
      wardIds: sql<
        string[]
      >`coalesce((select array_agg(${staffWards.wardId}::text) from ${staffWards} where ${staffWards.staffId} = ${staff.id}), '{}')`,
      anchorId: apiTokens.id,
      lastUsedAt: apiTokens.lastUsedAt,
    })
    .from(staff)
    .leftJoin(apiTokens, and(eq(apiTokens.staffId, staff.id), eq(apiTokens.kind, 'identity_provider')))
    .where(and(eq(staff.organisationId, provider.organisationId), match))
    .limit(1);
  return row;
}

/** The staff member's sign-in record (created at their first sign-in), the token id of their requests. */
async function anchorOf(db: Database, organisationId: string, staffId: string): Promise<string> {
  await db
    .insert(apiTokens)
    .values({
      kind: 'identity_provider',
      organisationId,
      staffId,
      label: 'sign-in through the identity provider',
      // Stands for no secret: the hash of random bytes nobody is given.
      tokenHash: hashToken(randomBytes(32).toString('base64url')),
    })
    .onConflictDoNothing({ target: apiTokens.staffId, where: sql`${apiTokens.kind} = 'identity_provider'` });
  const [row] = await db
    .select({ id: apiTokens.id })
    .from(apiTokens)
    .where(and(eq(apiTokens.staffId, staffId), eq(apiTokens.kind, 'identity_provider')));
  return row!.id;
}

export function createJwtSignIn(db: Database, settings: OidcSettings, logger: Logger): JwtSignIn {
  const keys = new ProviderKeys(settings);
  const refuse = (reason: string, detail?: unknown): null => {
    logger.info(
      { reason, detail: detail instanceof Error ? detail.message : detail },
      'identity provider token refused',
    );
    return null;
  };
  return async (token: string): Promise<Resolved | null> => {
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch (error) {
      return refuse('not a JWT', error);
    }
    if (typeof claims.iss !== 'string') return refuse('no issuer');
    const provider = configurationFor(await providersOfIssuer(db).execute({ issuer: claims.iss }), claims.aud);
    if (!provider) return refuse('no organisation has this issuer and audience');
    let payload: JWTPayload;
    try {
      const verified = await jwtVerify(token, await keys.keysOf(provider.issuer), {
        issuer: provider.issuer,
        audience: provider.audience,
        algorithms: ACCEPTED_ALGORITHMS,
        requiredClaims: ['exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      payload = verified.payload;
    } catch (error) {
      return refuse('verification failed', error);
    }
    const value = payload[provider.claim];
    if (typeof value !== 'string' || value === '') return refuse('the identifying claim is missing');
    if (provider.claim === 'email' && payload.email_verified === false) return refuse('the email is not verified');
    const member = await staffMember(db, provider, value);
    if (!member) return refuse('no staff member has this identity');
    if (member.deactivatedAt) return refuse('the staff member is deactivated');
    const tokenId = member.anchorId ?? (await anchorOf(db, provider.organisationId, member.id));
    return {
      principal: {
        tokenId,
        role: member.role,
        organisationId: provider.organisationId,
        staffId: member.id,
        wardIds: member.wardIds,
      },
      lastUsedAt: member.lastUsedAt,
    };
  };
}
