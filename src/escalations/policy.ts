import { and, eq, inArray } from 'drizzle-orm';
import { assertWardReadable, type TenantPrincipal } from '../auth/principal.js';
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

export type PolicyRow = typeof escalationPolicies.$inferSelect;

export interface PolicyInput {
  levels: { staffId: string }[];
  ackWithinSeconds?: Partial<AckDeadlines> | undefined;
  repeatEverySeconds?: number | undefined;
  maxRepeats?: number | undefined;
  minBandToEscalate?: RiskBand | undefined;
  categoryRoutes?: Partial<Record<ItemCategory, string>> | undefined;
}

export function presentPolicy(row: PolicyRow) {
  return {
    wardId: row.wardId,
    levels: row.levels.map((staffId) => ({ staffId })),
    ackWithinSeconds: row.ackWithinSeconds,
    repeatEverySeconds: row.repeatEverySeconds,
    maxRepeats: row.maxRepeats,
    minBandToEscalate: row.minBandToEscalate,
    categoryRoutes: row.categoryRoutes,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Every person named in a policy must be a middle or senior manager of the organisation. */
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
    .select({ id: staff.id })
    .from(staff)
    .where(
      and(
        eq(staff.organisationId, organisationId),
        inArray(staff.id, ids),
        inArray(staff.role, ['middle_manager', 'senior_manager']),
      ),
    );
  const known = new Set(managers.map((m) => m.id));
  const errors = named
    .filter((n) => !known.has(n.id))
    .map((n) => ({ path: n.path, message: 'must be a middle or senior manager of this organisation' }));
  if (errors.length > 0) {
    throw new AppError('validation_failed', 'The policy names someone who is not a manager here', { errors });
  }
}

export async function putPolicy(db: Database, principal: TenantPrincipal, wardId: string, input: PolicyInput) {
  const [ward] = await db
    .select({ id: wards.id })
    .from(wards)
    .where(and(eq(wards.id, wardId), eq(wards.organisationId, principal.organisationId)));
  if (!ward) throw notFound('Ward');
  await assertManagers(db, principal.organisationId, input);
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
    const before = await loadPolicy(tx, wardId);
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

export async function loadPolicy(db: Executor, wardId: string): Promise<PolicyRow | null> {
  const [row] = await db.select().from(escalationPolicies).where(eq(escalationPolicies.wardId, wardId));
  return row ?? null;
}

export async function getPolicy(db: Database, principal: TenantPrincipal, wardId: string) {
  assertWardReadable(principal, wardId, 'Ward');
  const row = await loadPolicy(db, wardId);
  if (!row || row.organisationId !== principal.organisationId) throw notFound('Escalation policy');
  return presentPolicy(row);
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
