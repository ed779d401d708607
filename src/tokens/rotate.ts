import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { apiTokens } from '../db/schema.js';
import { expiryOf, graceEndOf, type TokenLifetimes } from '../domain/token-lifetime.js';
import { conflict } from '../http/errors.js';
import type { TenantPrincipal } from '../auth/principal.js';
import { auditToken, findToken, newSecret, presentToken } from './service.js';

/**
 * Rotation: a new token bound to the same staff member or ward, with the same label and a full
 * lifetime, and the old one kept working only until the rotation grace period ends (or its own
 * expiry, if sooner), so a device can switch over without a gap. A revoked, expired or already
 * rotated token cannot be rotated (409): issue a new one instead.
 */
export async function rotateToken(
  db: Database,
  principal: TenantPrincipal,
  tokenId: string,
  lifetimes: TokenLifetimes,
) {
  const { token, tokenHash, prefix } = newSecret();
  return db.transaction(async (tx) => {
    const old = await findToken(tx, principal.organisationId, tokenId, true);
    const now = new Date();
    if (old.revokedAt) throw conflict('The token has been revoked; issue a new one');
    if (old.replacedById) throw conflict('The token has already been rotated', { replacedById: old.replacedById });
    if (old.expiresAt && old.expiresAt <= now) throw conflict('The token has expired; issue a new one');
    const kind = old.kind as 'staff' | 'ward_device';
    const [issued] = await tx
      .insert(apiTokens)
      .values({
        kind,
        organisationId: old.organisationId,
        staffId: old.staffId,
        wardId: old.wardId,
        label: old.label,
        tokenHash,
        prefix,
        expiresAt: expiryOf(kind, now, lifetimes),
      })
      .returning();
    const [retired] = await tx
      .update(apiTokens)
      .set({ replacedById: issued!.id, expiresAt: graceEndOf(old.expiresAt, now, lifetimes) })
      .where(eq(apiTokens.id, old.id))
      .returning();
    await auditToken(tx, principal, issued!, 'issued', { replaces: old.id });
    await auditToken(tx, principal, retired!, 'rotated', { replacedById: issued!.id });
    return { ...presentToken(issued!), token, replaced: presentToken(retired!) };
  });
}
