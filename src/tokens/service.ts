import { and, desc, eq, inArray, isNull, ne } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database, Executor } from '../db/client.js';
import { actorOf, recordAudit } from '../audit/record.js';
import { apiTokens, staff, wards } from '../db/schema.js';
import { expiryOf, lifetimeProblem, type TokenLifetimes } from '../domain/token-lifetime.js';
import { AppError, conflict, notFound } from '../http/errors.js';
import { refuseIdentifiers, textFields } from '../screening/free-text.js';
import type { TenantPrincipal } from '../auth/principal.js';
import { generateToken, hashToken, tokenPrefix } from '../auth/tokens.js';

export type TokenRow = typeof apiTokens.$inferSelect;

/** The kinds of token an organisation lists and manages (sign-in anchors and platform tokens are not among them). */
export const LISTED_KINDS = ['staff', 'ward_device'] as const;

export function auditToken(
  tx: Executor,
  principal: TenantPrincipal,
  row: TokenRow,
  action: 'issued' | 'revoked' | 'rotated',
  extra: Record<string, unknown> = {},
) {
  return recordAudit(tx, {
    organisationId: principal.organisationId,
    actor: actorOf(principal),
    entityType: 'token',
    entityId: row.id,
    action,
    changes: {
      kind: row.kind,
      staffId: row.staffId,
      wardId: row.wardId,
      label: row.label,
      expiresAt: row.expiresAt?.toISOString() ?? null,
      ...extra,
    },
  });
}

export function presentToken(row: TokenRow) {
  return {
    id: row.id,
    kind: row.kind as (typeof LISTED_KINDS)[number],
    staffId: row.staffId,
    wardId: row.wardId,
    label: row.label,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    replacedById: row.replacedById,
  };
}

export type TokenRequest = ({ staffId: string; label?: string | undefined } | { wardId: string; label: string }) & {
  expiresInDays?: number | undefined;
};

/** A new token's secret and the columns that store it: the hash, and a prefix to tell it apart. */
export function newSecret() {
  const token = generateToken();
  return { token, tokenHash: hashToken(token), prefix: tokenPrefix(token) };
}

function refuseLifetime(kind: 'staff' | 'ward_device', days: number | undefined, lifetimes: TokenLifetimes) {
  const problem = lifetimeProblem(kind, days, lifetimes);
  if (problem) {
    throw new AppError('validation_failed', `expiresInDays ${problem}`, {
      errors: [{ path: 'body.expiresInDays', message: problem }],
    });
  }
}

/** What a token is bound to: an active staff member or a ward, of the caller's organisation. */
async function bindingOf(db: Database, organisationId: string, input: TokenRequest) {
  if ('staffId' in input) {
    const [member] = await db
      .select({ id: staff.id, deactivatedAt: staff.deactivatedAt })
      .from(staff)
      .where(and(eq(staff.id, input.staffId), eq(staff.organisationId, organisationId)));
    if (!member) throw notFound('Staff member');
    if (member.deactivatedAt) throw conflict('The staff member is deactivated; reactivate them first');
    return { kind: 'staff' as const, staffId: member.id, wardId: null };
  }
  const [ward] = await db
    .select({ id: wards.id, closedAt: wards.closedAt })
    .from(wards)
    .where(and(eq(wards.id, input.wardId), eq(wards.organisationId, organisationId)));
  if (!ward) throw notFound('Ward');
  if (ward.closedAt) throw conflict('The ward is closed; reopen it first');
  return { kind: 'ward_device' as const, staffId: null, wardId: ward.id };
}

export async function issueToken(
  db: Database,
  principal: TenantPrincipal,
  input: TokenRequest,
  lifetimes: TokenLifetimes,
) {
  const organisationId = principal.organisationId;
  refuseIdentifiers(textFields({ label: input.label }));
  const binding = await bindingOf(db, organisationId, input);
  refuseLifetime(binding.kind, input.expiresInDays, lifetimes);
  const { token, tokenHash, prefix } = newSecret();
  const row = await db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(apiTokens)
      .values({
        ...binding,
        organisationId,
        label: input.label ?? null,
        tokenHash,
        prefix,
        expiresAt: expiryOf(binding.kind, new Date(), lifetimes, input.expiresInDays),
      })
      .returning();
    await auditToken(tx, principal, inserted!, 'issued');
    return inserted!;
  });
  return { ...presentToken(row), token };
}

export async function listTokens(db: Database, principal: TenantPrincipal) {
  const rows = await db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.organisationId, principal.organisationId), inArray(apiTokens.kind, LISTED_KINDS)))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
  return rows.map(presentToken);
}

/** One of the organisation's listed tokens, locked when `tx` is a transaction that will change it. */
export async function findToken(db: Executor, organisationId: string, tokenId: string, forUpdate = false) {
  const query = db
    .select()
    .from(apiTokens)
    .where(
      and(
        eq(apiTokens.id, tokenId),
        eq(apiTokens.organisationId, organisationId),
        inArray(apiTokens.kind, LISTED_KINDS),
      ),
    );
  const [row] = forUpdate ? await query.for('update') : await query;
  if (!row) throw notFound('Token');
  return row;
}

/** Revoking is idempotent: revoking twice keeps the first revocation time. */
export async function revokeToken(db: Database, principal: TenantPrincipal, tokenId: string) {
  const row = await findToken(db, principal.organisationId, tokenId);
  if (row.revokedAt) return presentToken(row);
  const updated = await db.transaction(async (tx) => {
    const [revoked] = await tx
      .update(apiTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)))
      .returning();
    if (revoked) await auditToken(tx, principal, revoked, 'revoked');
    return revoked;
  });
  return presentToken(updated ?? row);
}

export const BOOTSTRAP_LABEL = 'bootstrap (BOOTSTRAP_ADMIN_TOKEN)';

/**
 * Makes sure a platform administrator can sign in. A configured BOOTSTRAP_ADMIN_TOKEN has no
 * expiry: it lives as long as it is configured, and every other platform-administrator token is
 * revoked when it starts being used, so changing the setting and restarting rotates it. Without
 * one, a first start (or a start after the last generated token expired or was revoked) prints
 * a generated token once; it expires after PLATFORM_ADMIN_TOKEN_DAYS.
 */
export async function ensurePlatformAdmin(
  db: Database,
  configuredToken: string | undefined,
  logger: Logger,
  lifetimes: TokenLifetimes,
) {
  if (configuredToken) {
    const tokenHash = hashToken(configuredToken);
    await db.transaction(async (tx) => {
      await tx
        .insert(apiTokens)
        .values({ kind: 'platform_admin', label: BOOTSTRAP_LABEL, tokenHash, prefix: null, expiresAt: null })
        .onConflictDoNothing({ target: apiTokens.tokenHash });
      await tx
        .update(apiTokens)
        .set({ revokedAt: new Date() })
        .where(
          and(eq(apiTokens.kind, 'platform_admin'), ne(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)),
        );
    });
    return null;
  }
  const existing = await db
    .select({ id: apiTokens.id, expiresAt: apiTokens.expiresAt })
    .from(apiTokens)
    .where(and(eq(apiTokens.kind, 'platform_admin'), isNull(apiTokens.revokedAt)));
  const now = new Date();
  if (existing.some((row) => row.expiresAt === null || row.expiresAt > now)) return null;
  const { token, tokenHash, prefix } = newSecret();
  await db.insert(apiTokens).values({
    kind: 'platform_admin',
    label: 'generated at first start',
    tokenHash,
    prefix,
    expiresAt: expiryOf('platform_admin', now, lifetimes),
  });
  logger.info('created a platform administrator token; it is printed once on standard output');
  return token;
}
