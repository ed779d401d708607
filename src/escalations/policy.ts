import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { assertWardReadable, wardScope, type TenantPrincipal } from '../auth/principal.js';
import type { Database, Executor } from '../db/client.js';
import { escalationPolicies, staff, wards } from '../db/schema.js';
import {
  DEFAULT_ACK_WITHIN_SECONDS,
  DEFAULT_MAX_REPEATS,
  DEFAULT_MIN_BAND,
  DEFAULT_REPEAT_EVERY_SECONDS,
  type AckDeadlines,
  type ChainSnapshot,
} from '../domain/escalation.js';
import type { RiskBand } from '../domain/risk.js';
import type { ItemCategory } from '../domain/taxonomy.js';
import { AppError, notFound } from '../http/errors.js';
import { actorOf, diff, recordAudit } from '../audit/record.js';
import { inactiveNamedInPolicy } from './inactive-staff.js';

export type PolicyRow = typeof escalationPolicies.$inferSelect;

export interface PolicyInput {
  levels: { staffId: string }[];
  ackWithinSeconds?: Partial<AckDeadlines> | undefined;
  repeatEverySeconds?: number | undefined;
  maxRepeats?: number | undefined;
  minBandToEscalate?: RiskBand | undefined;
  categoryRoutes?: Partial<Record<ItemCategory, string>> | undefined;
}

/** Where a policy names someone who has been deactivated: the path of each mention. */
export function needsAttention(row: PolicyRow, inactive: readonly string[]) {
  const gone = new Set(inactive);
  return [
    ...row.levels.flatMap((staffId, i) => (gone.has(staffId) ? [{ path: `levels.${i}.staffId`, staffId }] : [])),
    ...Object.entries(row.categoryRoutes).flatMap(([category, staffId]) =>
      staffId && gone.has(staffId) ? [{ path: `categoryRoutes.${category}`, staffId }] : [],
    ),
  ].map((mention) => ({ ...mention, reason: 'deactivated' as const }));
}

export function presentPolicy(row: PolicyRow, inactive: readonly string[] = []) {
  return {
    wardId: row.wardId,
    levels: row.levels.map((staffId) => ({ staffId })),
    ackWithinSeconds: row.ackWithinSeconds,
    repeatEverySeconds: row.repeatEverySeconds,
    maxRepeats: row.maxRepeats,
    minBandToEscalate: row.minBandToEscalate,
    categoryRoutes: row.categoryRoutes,
    needsAttention: needsAttention(row, inactive),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Every person named in a policy must be a middle or senior manager of the organisation (400),
 * and still active (422: a deactivated manager would never answer).
 */
async function assertManagers(db: Executor, organisationId: string, input: PolicyInput) {
  const named = [
    ...input.levels.map((level, i) => ({ id: level.staffId, path: `body.levels.${i}.staffId` })),
    ...Object.entries(input.categoryRoutes ?? {}).map(([category, id]) => ({
      id: id,
      path: `body.categoryRoutes.${category}`,
    })),
  ];
  const ids = [...new Set(named.map((n) => n.id))];
  const managers = await db
    .select({ id: staff.id, deactivatedAt: staff.deactivatedAt })
    .from(staff)
    .where(
      and(
        eq(staff.organisationId, organisationId),
        inArray(staff.id, ids),
        inArray(staff.role, ['middle_manager', 'senior_manager']),
      ),
    )
    .for('share');
  const known = new Map(managers.map((m) => [m.id, m.deactivatedAt]));
  const errors = named
    .filter((n) => !known.has(n.id))
    .map((n) => ({ path: n.path, message: 'must be a middle or senior manager of this organisation' }));
  if (errors.length > 0) {
    throw new AppError('validation_failed', 'The policy names someone who is not a manager here', { errors });
  }
  const inactive = named
    .filter((n) => known.get(n.id))
    .map((n) => ({ path: n.path, message: 'has been deactivated; name an active manager' }));
  if (inactive.length > 0) {
    throw new AppError('unprocessable', 'The policy names a manager who has been deactivated', { errors: inactive });
  }
}

export async function putPolicy(db: Database, principal: TenantPrincipal, wardId: string, input: PolicyInput) {
  const [ward] = await db
    .select({ id: wards.id })
    .from(wards)
    .where(and(eq(wards.id, wardId), eq(wards.organisationId, principal.organisationId)));
  if (!ward) throw notFound('Ward');
  const values = {
    wardId,
    organisationId: principal.organisationId,
    levels: input.levels.map((l) => l.staffId),
    ackWithinSeconds: { ...DEFAULT_ACK_WITHIN_SECONDS, ...input.ackWithinSeconds },
    repeatEverySeconds: input.repeatEverySeconds ?? DEFAULT_REPEAT_EVERY_SECONDS,
    maxRepeats: input.maxRepeats ?? DEFAULT_MAX_REPEATS,
    minBandToEscalate: input.minBandToEscalate ?? DEFAULT_MIN_BAND,
    categoryRoutes: input.categoryRoutes ?? {},
    updatedAt: new Date(),
  };
  const row = await db.transaction(async (tx) => {
    // In the transaction, the managers' rows held (FOR SHARE) until it commits: a deactivation
    // running meanwhile waits, and then finds this policy among those needing attention.
    await assertManagers(tx, principal.organisationId, input);
    const before = (await loadSavedPolicy(tx, wardId))?.policy;
    const [saved] = await tx
      .insert(escalationPolicies)
      .values(values)
      .onConflictDoUpdate({ target: escalationPolicies.wardId, set: values })
      .returning();
    await recordAudit(tx, {
      organisationId: principal.organisationId,
      actor: actorOf(principal),
      entityType: 'policy',
      entityId: wardId,
      action: before ? 'changed' : 'created',
      changes: diff(before ?? {}, saved!, [
        'levels',
        'ackWithinSeconds',
        'repeatEverySeconds',
        'maxRepeats',
        'minBandToEscalate',
        'categoryRoutes',
      ]),
    });
    return saved!;
  });
  return presentPolicy(row);
}

/** The policy as saved, with the deactivated staff it names. */
export async function loadSavedPolicy(db: Executor, wardId: string) {
  const [found] = await db
    .select({ policy: escalationPolicies, inactive: inactiveNamedInPolicy() })
    .from(escalationPolicies)
    .where(eq(escalationPolicies.wardId, wardId));
  return found ?? null;
}

/**
 * The policy new escalations start from: the saved one without the staff deactivated since it
 * was saved (their levels are skipped; a category route to them falls back to level 1). Null
 * when the ward has no policy, or nobody it names is still active: its items then wait as
 * unrouted, listed for the ward and its managers (GET /v1/wards/{id}/unrouted).
 */
export function activePolicy(row: PolicyRow, inactive: readonly string[]): PolicyRow | null {
  if (inactive.length === 0) return row;
  const gone = new Set(inactive);
  const levels = row.levels.filter((id) => !gone.has(id));
  if (levels.length === 0) return null;
  const categoryRoutes = Object.fromEntries(
    Object.entries(row.categoryRoutes).filter(([, id]) => id !== undefined && !gone.has(id)),
  );
  return { ...row, levels, categoryRoutes };
}

/** The rules a saved policy sets for re-grading and repeats: its minimum band and deadlines (defaults filled in). */
export const escalationRules = (policy: PolicyRow) => ({
  minBand: policy.minBandToEscalate,
  ackWithinSeconds: { ...DEFAULT_ACK_WITHIN_SECONDS, ...policy.ackWithinSeconds },
});

/** The ward's policy as new escalations use it (activePolicy), or null. */
export async function loadPolicy(db: Executor, wardId: string): Promise<PolicyRow | null> {
  const found = await loadSavedPolicy(db, wardId);
  return found ? activePolicy(found.policy, found.inactive) : null;
}

export async function getPolicy(db: Database, principal: TenantPrincipal, wardId: string) {
  assertWardReadable(principal, wardId, 'Ward');
  const found = await loadSavedPolicy(db, wardId);
  if (!found || found.policy.organisationId !== principal.organisationId) throw notFound('Escalation policy');
  return presentPolicy(found.policy, found.inactive);
}

/** The policies of the wards the caller can see; with needsAttention, only those naming deactivated staff. */
export async function listPolicies(db: Executor, principal: TenantPrincipal, filter: { needsAttention?: boolean }) {
  const scope = wardScope(principal);
  if (scope !== 'all' && scope.length === 0) return [];
  const inactive = inactiveNamedInPolicy();
  const rows = await db
    .select({ policy: escalationPolicies, inactive })
    .from(escalationPolicies)
    .innerJoin(wards, eq(wards.id, escalationPolicies.wardId))
    .where(
      and(
        eq(escalationPolicies.organisationId, principal.organisationId),
        scope === 'all' ? undefined : inArray(escalationPolicies.wardId, scope),
        filter.needsAttention ? sql`cardinality(${inactive}) > 0` : undefined,
      ),
    )
    .orderBy(asc(wards.code));
  return rows.map((r) => presentPolicy(r.policy, r.inactive));
}

/** The chain for one item, copied onto its escalation: a category route replaces level 1. */
export function snapshotChain(policy: PolicyRow, category: ItemCategory, band: RiskBand): ChainSnapshot {
  const levels = [...policy.levels];
  const routed = policy.categoryRoutes[category];
  if (routed) levels[0] = routed;
  return {
    levels,
    ackWithinSeconds: policy.ackWithinSeconds[band],
    repeatEverySeconds: policy.repeatEverySeconds,
    maxRepeats: policy.maxRepeats,
  };
}
