import { and, asc, eq, ne } from 'drizzle-orm';
import { resolvePrincipal } from '../auth/plugin.js';
import type { TenantPrincipal } from '../auth/principal.js';
import { amendItem } from '../corrections/amend.js';
import { voidItem } from '../corrections/void.js';
import type { Database } from '../db/client.js';
import { items } from '../db/schema.js';
import type { Relay } from '../deps.js';

/**
 * The corrections a ward makes in its first weeks, through the service's own functions: on ward
 * 7A a problem graded too low is amended (its escalation follows the new band), and an item
 * recorded on the wrong ward is voided. Both keep their reasons (GET /v1/items/{id}/corrections).
 */
export async function seedCorrections(db: Database, relay: Relay, clinicianToken: string, seedNow: Date) {
  const clinician = (await resolvePrincipal(db, clinicianToken)) as TenantPrincipal;
  const open = await db
    .select()
    .from(items)
    .where(and(eq(items.wardId, clinician.wardIds[0]!), eq(items.status, 'open'), ne(items.kind, 'good_practice')))
    .orderBy(asc(items.raisedOn), asc(items.position))
    .limit(2);
  const [regraded, misfiled] = open;
  if (regraded) {
    await amendItem(
      { db, relay },
      clinician,
      regraded.id,
      {
        likelihood: Math.min(5, (regraded.likelihood ?? 1) + 2),
        reason: 'Graded as unlikely at the huddle; it happened again on two night shifts this week',
      },
      new Date(seedNow.getTime() - 2 * 3_600_000),
    );
  }
  if (misfiled) {
    await voidItem(
      { db, relay },
      clinician,
      misfiled.id,
      { reason: 'Entered on 7A by mistake: the problem is on ward 7B, which recorded it too' },
      new Date(seedNow.getTime() - 3_600_000),
    );
  }
}
