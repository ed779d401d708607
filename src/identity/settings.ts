import { and, eq } from 'drizzle-orm';
import { actorOf, recordAudit } from '../audit/record.js';
import type { Principal, TenantPrincipal } from '../auth/principal.js';
import type { OidcSettings } from '../config.js';
import type { Database } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { identityProviders, organisations, staff } from '../db/schema.js';
import { AppError, conflict, notFound } from '../http/errors.js';
import { issuerProblem, ProviderKeys } from './keys.js';

type ProviderRow = typeof identityProviders.$inferSelect;

export interface ProviderInput {
  issuer: string;
  audience: string;
  claim: string;
}

export function presentProvider(row: ProviderRow) {
  return {
    organisationId: row.organisationId,
    issuer: row.issuer,
    audience: row.audience,
    claim: row.claim,
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function getProvider(db: Database, organisationId: string) {
  const [row] = await db.select().from(identityProviders).where(eq(identityProviders.organisationId, organisationId));
  if (!row) throw notFound('Identity provider');
  return presentProvider(row);
}

async function requireOrganisation(db: Database, organisationId: string) {
  const [row] = await db
    .select({ id: organisations.id })
    .from(organisations)
    .where(eq(organisations.id, organisationId));
  if (!row) throw notFound('Organisation');
}

/** The issuer must be a safe URL whose discovery document can be read and names the same issuer. */
async function checkIssuer(issuer: string, settings: OidcSettings) {
  const problem = issuerProblem(issuer, settings);
  if (problem) {
    throw new AppError('validation_failed', `issuer ${problem}`, {
      errors: [{ path: 'body.issuer', message: problem }],
    });
  }
  try {
    await new ProviderKeys(settings).discover(issuer);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unreadable';
    throw new AppError('unprocessable', `The issuer's discovery document could not be used: ${reason}`);
  }
}

/**
 * Sets an organisation's identity provider (the platform administrator, who onboards each
 * trust's client with its provider). An issuer and audience pair belongs to one organisation.
 */
export async function setProvider(
  db: Database,
  principal: Principal,
  organisationId: string,
  input: ProviderInput,
  settings: OidcSettings,
) {
  await requireOrganisation(db, organisationId);
  await checkIssuer(input.issuer, settings);
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(identityProviders)
        .values({ organisationId, ...input })
        .onConflictDoUpdate({ target: identityProviders.organisationId, set: { ...input, updatedAt: new Date() } })
        .returning();
      await recordAudit(tx, {
        organisationId,
        actor: actorOf(principal),
        entityType: 'organisation',
        entityId: organisationId,
        action: 'identity_provider_set',
        changes: { ...input },
      });
      return presentProvider(row!);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('Another organisation uses this issuer with this audience');
    throw error;
  }
}

export async function removeProvider(db: Database, principal: Principal, organisationId: string) {
  await db.transaction(async (tx) => {
    const [removed] = await tx
      .delete(identityProviders)
      .where(eq(identityProviders.organisationId, organisationId))
      .returning();
    if (!removed) throw notFound('Identity provider');
    await recordAudit(tx, {
      organisationId,
      actor: actorOf(principal),
      entityType: 'organisation',
      entityId: organisationId,
      action: 'identity_provider_removed',
      changes: { issuer: removed.issuer, audience: removed.audience },
    });
  });
}

/** Sets the identifier that a provider's claim other than email (a staff number) carries for this person. */
export async function setExternalId(
  db: Database,
  principal: TenantPrincipal,
  staffId: string,
  externalId: string | null,
) {
  const organisationId = principal.organisationId;
  try {
    return await db.transaction(async (tx) => {
      const [before] = await tx
        .select({ externalId: staff.externalId })
        .from(staff)
        .where(and(eq(staff.id, staffId), eq(staff.organisationId, organisationId)))
        .for('update');
      if (!before) throw notFound('Staff member');
      await tx.update(staff).set({ externalId }).where(eq(staff.id, staffId));
      await recordAudit(tx, {
        organisationId,
        actor: actorOf(principal),
        entityType: 'staff',
        entityId: staffId,
        action: 'external_id_set',
        changes: { externalId: { from: before.externalId, to: externalId } },
      });
      return { staffId, externalId };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('Another staff member has this external identifier');
    throw error;
  }
}
