import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database, Executor } from '../db/client.js';
import { actorOf, recordAudit } from '../audit/record.js';
import { apiTokens, staff, wards } from '../db/schema.js';
import { conflict, notFound } from '../http/errors.js';
import { refuseIdentifiers, textFields } from '../screening/free-text.js';
import type { TenantPrincipal } from '../auth/principal.js';
import { generateToken, hashToken } from '../auth/tokens.js';

type TokenRow = typeof apiTokens.$inferSelect;

function auditToken(tx: Executor, principal: TenantPrincipal, row: TokenRow, action: 'issued' | 'revoked') {
  return recordAudit(tx, {
    organisationId: principal.organisationId,
    actor: actorOf(principal),
    entityType: 'token',
    entityId: row.id,
    action,
    changes: { kind: row.kind, staffId: row.staffId, wardId: row.wardId, label: row.label },
  });
}

export function presentToken(row: TokenRow) {
  return {
    id: row.id,
    kind: row.kind as 'staff' | 'ward_device',
    staffId: row.staffId,
    wardId: row.wardId,
    label: row.label,
    createdAt: row.createdAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

export type TokenRequest = { staffId: string; label?: string | undefined } | { wardId: string; label: string };

export async function issueToken(db: Database, principal: TenantPrincipal, input: TokenRequest) {
  const organisationId = principal.organisationId;
  refuseIdentifiers(textFields({ label: input.label }));
  const token = generateToken();
  if ('staffId' in input) {
    const [member] = await db
      .select({ id: staff.id, deactivatedAt: staff.deactivatedAt })
      .from(staff)
      .where(and(eq(staff.id, input.staffId), eq(staff.organisationId, organisationId)));
    if (!member) throw notFound('Staff member');
    if (member.deactivatedAt) throw conflict('The staff member is deactivated; reactivate them first');
    const row = await db.transaction(async (tx) => {
      const [inserted] = await tx
        .insert(apiTokens)
        .values({
          kind: 'staff',
          organisationId,
          staffId: member.id,
          label: input.label ?? null,
          tokenHash: hashToken(token),
        })
        .returning();
      await auditToken(tx, principal, inserted!, 'issued');
      return inserted!;
    });
    return { ...presentToken(row), token };
  }
  const [ward] = await db
    .select({ id: wards.id, closedAt: wards.closedAt })
    .from(wards)
    .where(and(eq(wards.id, input.wardId), eq(wards.organisationId, organisationId)));
  if (!ward) throw notFound('Ward');
  if (ward.closedAt) throw conflict('The ward is closed; reopen it first');
  const row = await db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(apiTokens)
      .values({ kind: 'ward_device', organisationId, wardId: ward.id, label: input.label, tokenHash: hashToken(token) })
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
    .where(eq(apiTokens.organisationId, principal.organisationId))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
  return rows.map(presentToken);
}

/** Revoking is idempotent: revoking twice keeps the first revocation time. */
export async function revokeToken(db: Database, principal: TenantPrincipal, tokenId: string) {
  const [row] = await db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.organisationId, principal.organisationId)));
  if (!row) throw notFound('Token');
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

/**
 * Makes sure a platform administrator can sign in: the configured BOOTSTRAP_ADMIN_TOKEN, or,
 * on a first start without one, a generated token printed once.
 */
export async function ensurePlatformAdmin(db: Database, configuredToken: string | undefined, logger: Logger) {
  if (configuredToken) {
    await db
      .insert(apiTokens)
      .values({
        kind: 'platform_admin',
        label: 'bootstrap (BOOTSTRAP_ADMIN_TOKEN)',
        tokenHash: hashToken(configuredToken),
      })
      .onConflictDoNothing({ target: apiTokens.tokenHash });
    return null;
  }
  const existing = await db
    .select({ id: apiTokens.id })
    .from(apiTokens)
    .where(and(eq(apiTokens.kind, 'platform_admin'), isNull(apiTokens.revokedAt)))
    .limit(1);
  if (existing.length > 0) return null;
  const token = generateToken();
  await db
    .insert(apiTokens)
    .values({ kind: 'platform_admin', label: 'generated at first start', tokenHash: hashToken(token) });
  logger.info('created a platform administrator token; it is printed once on standard output');
  return token;
}
