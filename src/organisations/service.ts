import { randomBytes } from 'node:crypto';
import { desc, eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { apiTokens, organisations, staff, webhookDeliveries } from '../db/schema.js';
import { webhookUrlProblem, type WebhookUrlPolicy } from '../webhooks/url.js';
import { DEFAULT_BAND_THRESHOLDS, validateBandThresholds, type BandThresholds } from '../domain/risk.js';
import type { IdentifierPolicy } from '../domain/taxonomy.js';
import { generateToken, hashToken } from '../auth/tokens.js';
import { AppError, conflict, notFound } from '../http/errors.js';
import { isUniqueViolation } from '../db/errors.js';

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
export async function createOrganisation(db: Database, input: { name: string; code: string }) {
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
      await tx.insert(apiTokens).values({
        kind: 'staff',
        organisationId: organisation.id,
        staffId: admin.id,
        label: 'initial administrator',
        tokenHash: hashToken(adminToken),
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

export async function updateSettings(db: Database, organisationId: string, patch: SettingsPatch) {
  if (patch.riskBands) {
    const problem = validateBandThresholds(patch.riskBands);
    if (problem) {
      throw new AppError('validation_failed', problem, { errors: [{ path: 'body.riskBands', message: problem }] });
    }
  }
  const [row] = await db
    .update(organisations)
    .set({
      ...(patch.riskBands ? { bandThresholds: patch.riskBands } : {}),
      ...(patch.identifierPolicy ? { identifierPolicy: patch.identifierPolicy } : {}),
    })
    .where(eq(organisations.id, organisationId))
    .returning();
  if (!row) throw notFound('Organisation');
  return row;
}

/** Sets the webhook for escalation events; a new signing secret is returned once. */
export async function setWebhook(db: Database, organisationId: string, url: string, policy: WebhookUrlPolicy) {
  const problem = webhookUrlProblem(url, policy);
  if (problem) {
    throw new AppError('validation_failed', `url ${problem}`, { errors: [{ path: 'body.url', message: problem }] });
  }
  const secret = `whsec_${randomBytes(32).toString('base64url')}`;
  await db.update(organisations).set({ webhookUrl: url, webhookSecret: secret }).where(eq(organisations.id, organisationId));
  return { url, secret };
}

export async function removeWebhook(db: Database, organisationId: string) {
  await db.update(organisations).set({ webhookUrl: null, webhookSecret: null }).where(eq(organisations.id, organisationId));
}

export async function listWebhookDeliveries(db: Database, organisationId: string) {
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.organisationId, organisationId))
    .orderBy(desc(webhookDeliveries.id))
    .limit(200);
  return rows.map((r) => ({
    id: r.id,
    notificationId: r.notificationId,
    attempt: r.attempt,
    url: r.url,
    statusCode: r.statusCode,
    error: r.error,
    succeeded: r.succeeded,
    durationMs: r.durationMs,
    createdAt: r.createdAt.toISOString(),
  }));
}
