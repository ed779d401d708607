/** People and wards made for the staff lifecycle tests: each test gets its own, so policies never clash. */
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { auditEvents } from '../../src/db/schema.js';
import type { TestContext } from './context.js';
import { distinctDescription, nextDate } from './escalation.js';
import { briefingBody, post, type Organisation } from './fixtures.js';

export interface Person {
  id: string;
  token: string;
}

let serial = 0;
/** A name part made of letters only (digits could read as a postcode), distinct per call. */
const letters = () =>
  'abcdefghij'
    .split('')
    .map((c, i) => ((serial >> i) & 1 ? c.toUpperCase() : c))
    .join('');

/** What the tests of one file use: its context and organisation. */
export function people(ctx: TestContext, org: Organisation) {
  /** A new staff member with a token of their own. */
  async function person(role = 'middle_manager', wardIds: string[] = []): Promise<Person> {
    serial++;
    const member = await post(ctx.app, '/v1/staff', org.adminToken, {
      name: `Manager ${letters()}`,
      email: `person${serial}.${org.code.toLowerCase()}@example.nhs.uk`,
      role,
      wardIds,
    });
    expect(member.status, member.raw).toBe(201);
    const token = await post(ctx.app, '/v1/tokens', org.adminToken, { staffId: member.body.id });
    expect(token.status, token.raw).toBe(201);
    return { id: member.body.id, token: token.body.token };
  }

  /** A new ward with its device token. */
  async function ward() {
    serial++;
    const created = await post(ctx.app, '/v1/wards', org.adminToken, { code: `S${serial}`, name: `Ward ${letters()}` });
    expect(created.status, created.raw).toBe(201);
    const device = await post(ctx.app, '/v1/tokens', org.adminToken, { wardId: created.body.id, label: 'tablet' });
    return { id: created.body.id as string, device: device.body.token as string };
  }

  /** Records a briefing with one unresolved high-risk problem; answers the item (with its escalation). */
  async function raise(on: { id: string; device: string }, category = 'equipment') {
    const res = await post(
      ctx.app,
      '/v1/briefings',
      on.device,
      briefingBody(on.id, {
        date: nextDate(),
        items: [
          {
            kind: 'problem',
            category,
            description: distinctDescription('Pressure mattresses failing their checks'),
            consequence: 4,
            likelihood: 3,
          },
        ],
      }),
    );
    expect(res.status, res.raw).toBe(201);
    return res.body.items[0];
  }

  const deactivate = (id: string, reason = 'Left the trust') =>
    post(ctx.app, `/v1/staff/${id}/deactivate`, org.adminToken, { reason });

  const auditOf = (entityId: string) =>
    ctx.database.db.select().from(auditEvents).where(eq(auditEvents.entityId, entityId)).orderBy(auditEvents.id);

  return { person, ward, raise, deactivate, auditOf };
}
