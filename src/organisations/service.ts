import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { apiTokens, organisations, staff } from '../db/schema.js';
import { DEFAULT_BAND_THRESHOLDS, validateBandThresholds, type BandThresholds } from '../domain/risk.js';
import type { IdentifierPolicy } from '../domain/taxonomy.js';
import { generateToken, hashToken, tokenPrefix } from '../auth/tokens.js';
import { expiryOf, type TokenLifetimes } from '../domain/token-lifetime.js';
import { AppError, conflict, notFound } from '../http/errors.js';
import { isUniqueViolation } from '../db/errors.js';
import { actorOf, diff, recordAudit } from '../audit/record.js';
import type { Principal, TenantPrincipal } from '../auth/principal.js';
import { refuseIdentifiers, textFields } from '../screening/free-text.js';

export type OrganisationRow = typeof organisations.$inferSelect;

export function presentOrganisation(row: OrganisationRow) {
  return {
    id: row.id,
    name: row.name,
    code: row.code,
    settings: { riskBands: row.bandThresholds, identifierPolicy: row.identifierPolicy, webhookUrl: row.webhookUrl },
    createdAt: row.createdAt.toISOString(),
  };
}

/** Creates the trust with its first administrator, whose token is returned once. */
export async function createOrganisation(
  db: Database,
  principal: Principal,
  input: { name: string; code: string },
  lifetimes: TokenLifetimes,
) {
  refuseIdentifiers(textFields({ name: input.name }));
  const adminToken = generateToken();
  try {
    return await db.transaction(async (tx) => {
      const [organisation] = await tx
        .insert(organisations)
        .values({ name: input.name, code: input.code, bandThresholds: DEFAULT_BAND_THRESHOLDS })
        .returning();
      if (!organisation) throw new Error('insert returned no row');
      const [admin] = await tx
        .insert(staff)
        .values({
          organisationId: organisation.id,
          name: 'Organisation administrator',
          email: `admin@${input.code.toLowerCase()}.invalid`,
          role: 'org_admin',
        })
        .returning({ id: staff.id });
      if (!admin) throw new Error('insert returned no row');
      const [token] = await tx
        .insert(apiTokens)
        .values({
          kind: 'staff',
          organisationId: organisation.id,
          staffId: admin.id,
          label: 'initial administrator',
          tokenHash: hashToken(adminToken),
          prefix: tokenPrefix(adminToken),
          expiresAt: expiryOf('staff', new Date(), lifetimes),
        })
        .returning({ id: apiTokens.id });
      const actor = actorOf(principal);
      await recordAudit(tx, {
        organisationId: organisation.id,
        actor,
        entityType: 'organisation',
        entityId: organisation.id,
        action: 'created',
        changes: { name: organisation.name, code: organisation.code },
      });
      await recordAudit(tx, {
        organisationId: organisation.id,
        actor,
        entityType: 'token',
        entityId: token!.id,
        action: 'issued',
        changes: { kind: 'staff', staffId: admin.id, label: 'initial administrator' },
      });
      return { ...presentOrganisation(organisation), adminStaffId: admin.id, adminToken };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`An organisation with code ${input.code} already exists`);
    throw error;
  }
}

export async function getOrganisation(db: Database, organisationId: string) {
  const [row] = await db.select().from(organisations).where(eq(organisations.id, organisationId));
  if (!row) throw notFound('Organisation');
  return row;
}

export interface SettingsPatch {
  riskBands?: BandThresholds | undefined;
  identifierPolicy?: IdentifierPolicy | undefined;
}

export async function updateSettings(db: Database, principal: TenantPrincipal, patch: SettingsPatch) {
  const organisationId = principal.organisationId;
  if (patch.riskBands) {
    const problem = validateBandThresholds(patch.riskBands);
    if (problem) {
      throw new AppError('validation_failed', problem, { errors: [{ path: 'body.riskBands', message: problem }] });
    }
  }
  if (!patch.riskBands && !patch.identifierPolicy) return getOrganisation(db, organisationId);
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(organisations).where(eq(organisations.id, organisationId)).for('update');
    if (!before) throw notFound('Organisation');
    const [row] = await tx
      .update(organisations)
      .set({
        ...(patch.riskBands ? { bandThresholds: patch.riskBands } : {}),
        ...(patch.identifierPolicy ? { identifierPolicy: patch.identifierPolicy } : {}),
      })
      .where(eq(organisations.id, organisationId))
      .returning();
    await recordAudit(tx, {
      organisationId,
      actor: actorOf(principal),
      entityType: 'organisation',
      entityId: organisationId,
      action: 'settings_changed',
      changes: diff(before, row!, ['bandThresholds', 'identifierPolicy']),
    });
    return row!;
  });
}
