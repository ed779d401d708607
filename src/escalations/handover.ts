import { and, eq, inArray, ne } from 'drizzle-orm';
import type { Transaction } from '../db/client.js';
import { escalationPolicies, escalations, organisations } from '../db/schema.js';
import { handoverTarget, planHandover, type HandoverTarget } from '../domain/escalation-step.js';
import { conflict } from '../http/errors.js';
import { hasWebhook } from '../webhooks/settings.js';
import { inactiveStaffAmong } from './inactive-staff.js';
import { writeStep, type StepActor } from './timer.js';

/**
 * When a staff member is deactivated (src/staff), every escalation they hold and have not
 * resolved moves at once to the next active level of its chain, or past its last level to the
 * most senior active manager of the ward's current policy, through the same writer as a timer's
 * climb: the new assignee, deadline, event (`reassigned`, reason `assignee_deactivated`),
 * notification, next timer and audit entry in one statement.
 */

export interface HandedOver extends HandoverTarget {
  escalationId: string;
}

/**
 * Hands over what `staffId` holds, in the caller's transaction, after the caller marked them
 * deactivated. 409 (and so nothing written) when an escalation has nobody active to go to.
 */
export async function handOverEscalationsOf(
  tx: Transaction,
  leaving: { organisationId: string; staffId: string },
  actor: StepActor,
  now: Date,
): Promise<HandedOver[]> {
  const held = await tx
    .select()
    .from(escalations)
    .where(
      and(
        eq(escalations.organisationId, leaving.organisationId),
        eq(escalations.assigneeStaffId, leaving.staffId),
        ne(escalations.state, 'resolved'),
      ),
    )
    .orderBy(escalations.createdAt, escalations.id)
    .for('update');
  if (held.length === 0) return [];
  const wardIds = [...new Set(held.map((e) => e.wardId))];
  const policies = await tx
    .select({ wardId: escalationPolicies.wardId, levels: escalationPolicies.levels })
    .from(escalationPolicies)
    .where(inArray(escalationPolicies.wardId, wardIds));
  const policyLevels = new Map(policies.map((p) => [p.wardId, p.levels]));
  const inactive = await inactiveStaffAmong(tx, [
    leaving.staffId,
    ...held.flatMap((e) => e.chain.levels),
    ...policies.flatMap((p) => p.levels),
  ]);
  const planned = held.map((row) => ({
    row,
    target: handoverTarget(row, inactive, policyLevels.get(row.wardId) ?? []),
  }));
  const stranded = planned.filter((p) => p.target === null).map((p) => p.row.id);
  if (stranded.length > 0) {
    throw conflict(
      `${stranded.length} open escalation(s) held by this person have nobody active left in their chain or their ward's policy: name an active manager in the ward's escalation policy, or have them reassigned, first`,
      { escalationIds: stranded },
    );
  }
  const [organisation] = await tx
    .select({ webhook: hasWebhook() })
    .from(organisations)
    .where(eq(organisations.id, leaving.organisationId));
  const moved: HandedOver[] = [];
  for (const { row, target } of planned) {
    await writeStep(tx, row, planHandover(row, target!, now), organisation?.webhook ?? false, now, actor);
    moved.push({ escalationId: row.id, ...target! });
  }
  return moved;
}
