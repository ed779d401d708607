import { eq, sql, type SQL } from 'drizzle-orm';
import { rows } from '../../src/db/sql.js';
import { items } from '../../src/db/schema.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { storedForWard } from '../helpers/stored-rows.js';
import { DATE_OF_BIRTH, expectNoIdentifier, NHS_NUMBER, NOT_AN_NHS_NUMBER, POSTCODE } from './identifier-samples.js';
import {
  createOrganisation,
  expectProblem,
  get,
  newKey,
  patch,
  post,
  put,
  type ApiResponse,
  type Organisation,
} from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;

async function rowsOf<T>(query: SQL): Promise<T[]> {
  return rows<T>(ctx.database.db, query);
}

beforeAll(async () => {
  // Trace level: the most the service would ever log.
  ({ ctx, org } = await startApiTest({ env: { LOG_LEVEL: 'trace' } }));
});
afterAll(() => ctx?.close());

let day = 0;
/** A fresh date per briefing, so no test trips over one-briefing-per-day. */
const nextDate = () => `2026-03-${String(++day).padStart(2, '0')}`;

const risk = (overrides: Record<string, unknown> = {}) => ({
  kind: 'risk',
  category: 'clinical_process',
  description: 'Observations overdue in bay 2',
  consequence: 3,
  likelihood: 3,
  ...overrides,
});

async function record(trust: Organisation, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const ward = trust.wards[0]!;
  return post(ctx.app, '/v1/briefings', ward.deviceToken, { wardId: ward.id, date: nextDate(), ...body }, headers);
}

/** A 422 naming each field and kind, never the identifier, and nothing stored. */
async function expectRefused(trust: Organisation, body: Record<string, unknown>, expected: [string, RegExp][]) {
  const before = await storedForWard(ctx, trust.wards[0]!.id);
  const res = await record(trust, body);
  const problem = expectProblem(res, 422);
  expect(problem.title).toMatch(/identifier/i);
  expect(problem.errors).toHaveLength(expected.length);
  for (const [path, message] of expected) {
    expect(problem.errors).toContainEqual({ path, message: expect.stringMatching(message) });
  }
  expectNoIdentifier(res.raw, 'the 422 answer');
  expect(await storedForWard(ctx, trust.wards[0]!.id)).toEqual(before);
  return res;
}

describe('with the default policy (reject)', () => {
  it.each([NHS_NUMBER, '9434765919', '943-476-5919'])(
    'refuses an NHS number written as %s in a description',
    async (nhsNumber) => {
      await expectRefused(
        org,
        { items: [risk({ description: `Patient ${nhsNumber} missed their 10:00 antibiotics` })] },
        [['body.items.0.description', /NHS number/]],
      );
    },
  );

  it('names the item the identifier is in, and every field that has one', async () => {
    await expectRefused(
      org,
      {
        items: [
          risk(),
          risk({ description: `Bed 4 (${NHS_NUMBER}) fell overnight`, actionTaken: `Family at ${POSTCODE} informed` }),
          risk({ description: `Wrong wristband: DOB ${DATE_OF_BIRTH}` }),
        ],
      },
      [
        ['body.items.1.description', /NHS number/],
        ['body.items.1.actionTaken', /postcode/],
        ['body.items.2.description', /date of birth/],
      ],
    );
  });

  it('names both kinds when one field holds two', async () => {
    await expectRefused(org, { items: [risk({ description: `${NHS_NUMBER} lives at ${POSTCODE}` })] }, [
      ['body.items.0.description', /NHS number.*postcode|postcode.*NHS number/],
    ]);
  });

  it('screens the reason a briefing was not held', async () => {
    await expectRefused(org, { held: false, notHeldReason: `Resus call for ${NHS_NUMBER}` }, [
      ['body.notHeldReason', /NHS number/],
    ]);
  });

  it.each([
    ['a postcode', `Patient transport to ${POSTCODE} cancelled`, /postcode/],
    ['a postcode without the space', 'Transport to LS14AP cancelled', /postcode/],
    ['a date of birth after DOB', `Two patients share DOB ${DATE_OF_BIRTH}`, /date of birth/],
    ['a date of birth after "born"', `Wristband says born 12 March 1954`, /date of birth/],
  ])('refuses %s', async (_name, description, message) => {
    await expectRefused(org, { items: [risk({ description })] }, [['body.items.0.description', message]]);
  });

  it.each([
    ['a ten-digit number with an invalid check digit', `Pump serial ${NOT_AN_NHS_NUMBER} faulty`],
    ['a phone number', 'Bleep 0113 243 3144 not answered'],
    ['a date with no birth word near it', 'Fire door audit due 12/03/2027'],
    ['clinical shorthand', 'Obs x2 2hr then q4 1hr; dobutamine infusion started'],
  ])('accepts %s', async (_name, description) => {
    const res = await record(org, { items: [risk({ description })] });
    expect(res.status, res.raw).toBe(201);
    expect(res.body.items[0].description).toBe(description);
    expect(res.body.redactions).toEqual([]);
  });

  it('refuses an identifier in the note resolving an item, leaving the item open', async () => {
    const created = await record(org, { items: [risk()] });
    const itemId = created.body.items[0].id;
    const res = await post(ctx.app, `/v1/items/${itemId}/resolve`, org.wards[0]!.deviceToken, {
      note: `Discussed with ${NHS_NUMBER}'s family`,
    });
    const problem = expectProblem(res, 422);
    expect(problem.errors).toEqual([{ path: 'body.note', message: expect.stringMatching(/NHS number/) }]);
    expectNoIdentifier(res.raw, 'the 422 answer');
    const item = await get(ctx.app, `/v1/items/${itemId}`, org.adminToken);
    expect(item.body).toMatchObject({ status: 'open', resolution: null });
  });

  it('a refused request can be corrected and sent again', async () => {
    const date = nextDate();
    const ward = org.wards[0]!;
    const body = (description: string) => ({ wardId: ward.id, date, items: [risk({ description })] });
    expectProblem(await post(ctx.app, '/v1/briefings', ward.deviceToken, body(`Patient ${NHS_NUMBER} fell`)), 422);
    const fixed = await post(ctx.app, '/v1/briefings', ward.deviceToken, body('Patient in bed 4 fell'));
    expect(fixed.status, fixed.raw).toBe(201);
  });
});

describe('with the redact policy', () => {
  let trust: Organisation;

  beforeAll(async () => {
    trust = await createOrganisation(ctx.app);
    const res = await patch(ctx.app, '/v1/organisation/settings', trust.adminToken, { identifierPolicy: 'redact' });
    expect(res.status, res.raw).toBe(200);
    expect(res.body.settings.identifierPolicy).toBe('redact');
  });

  it('stores the text with the identifiers removed and lists each redacted field', async () => {
    const res = await record(trust, {
      items: [
        risk({ description: 'Nothing identifying here' }),
        risk({ description: `Patient ${NHS_NUMBER} missed antibiotics`, actionTaken: `Called family at ${POSTCODE}` }),
        risk({ description: `Wristband DOB ${DATE_OF_BIRTH} wrong` }),
      ],
    });
    expect(res.status, res.raw).toBe(201);
    expectNoIdentifier(res.raw, 'the 201 answer');
    expect(res.body.redactions).toEqual([
      { path: 'items.1.description', kinds: ['nhs_number'] },
      { path: 'items.1.actionTaken', kinds: ['postcode'] },
      { path: 'items.2.description', kinds: ['date_of_birth'] },
    ]);
    expect(res.body.items.map((i: { description: string }) => i.description)).toEqual([
      'Nothing identifying here',
      'Patient [redacted nhs_number] missed antibiotics',
      'Wristband DOB [redacted date_of_birth] wrong',
    ]);
    expect(res.body.items[1].actionTaken).toBe('Called family at [redacted postcode]');

    // What was stored, read back through the API and straight from the database.
    const read: ApiResponse = await get(ctx.app, `/v1/briefings/${res.body.id}`, trust.governance.token);
    expectNoIdentifier(read.raw, 'the stored briefing');
    expect(read.body.items[1].description).toBe('Patient [redacted nhs_number] missed antibiotics');
    const rows = await ctx.database.db
      .select({ description: items.description, actionTaken: items.actionTaken })
      .from(items)
      .where(eq(items.briefingId, res.body.id));
    expect(rows).toHaveLength(3);
    expectNoIdentifier(JSON.stringify(rows), 'the items table');
  });

  it('redacts the reason a briefing was not held', async () => {
    const res = await record(trust, { held: false, notHeldReason: `Arrest call, patient ${NHS_NUMBER}` });
    expect(res.status, res.raw).toBe(201);
    expect(res.body.notHeldReason).toBe('Arrest call, patient [redacted nhs_number]');
    expect(res.body.redactions).toEqual([{ path: 'notHeldReason', kinds: ['nhs_number'] }]);
  });

  it('redacts the note resolving an item', async () => {
    const created = await record(trust, { items: [risk()] });
    const res = await post(ctx.app, `/v1/items/${created.body.items[0].id}/resolve`, trust.wards[0]!.deviceToken, {
      note: `Family of ${NHS_NUMBER} updated`,
    });
    expect(res.status, res.raw).toBe(200);
    expect(res.body.resolution.note).toBe('Family of [redacted nhs_number] updated');
  });

  it('says nothing was redacted when nothing was', async () => {
    const res = await record(trust, { items: [risk({ description: `Pump serial ${NOT_AN_NHS_NUMBER} faulty` })] });
    expect(res.status, res.raw).toBe(201);
    expect(res.body.redactions).toEqual([]);
    expect(res.body.items[0].description).toBe(`Pump serial ${NOT_AN_NHS_NUMBER} faulty`);
  });
});

describe('every other free-text field a person types', () => {
  /** A ward with a chain, and an open item on it that ward staff may escalate by hand. */
  async function openItem(trust: Organisation) {
    const ward = trust.wards[0]!;
    await put(ctx.app, `/v1/wards/${ward.id}/escalation-policy`, trust.adminToken, {
      levels: [{ staffId: trust.middleManager.id }],
      ackWithinSeconds: { high: 3_600 },
      minBandToEscalate: 'extreme',
    });
    const created = await record(trust, { items: [risk()] });
    expect(created.status, created.raw).toBe(201);
    return created.body.items[0].id as string;
  }

  async function priorityOf(trust: Organisation) {
    const res = await post(ctx.app, '/v1/priorities', trust.adminToken, {
      title: 'Fewer falls on the wards',
      level: 'organisation',
      ownerStaffId: trust.seniorManager.id,
    });
    expect(res.status, res.raw).toBe(201);
    return res.body.id as string;
  }

  type Write = {
    name: string;
    path: string;
    table: string;
    /** What must exist first (its id is given to send). */
    prepare?: (trust: Organisation) => Promise<string>;
    send: (trust: Organisation, id: string) => Promise<ApiResponse>;
  };
  const writes: Write[] = [
    {
      name: 'a ward name',
      path: 'body.name',
      table: 'wards',
      send: (t) => post(ctx.app, '/v1/wards', t.adminToken, { code: 'ID1', name: `Bay for ${NHS_NUMBER}` }),
    },
    {
      name: 'a ward site',
      path: 'body.site',
      table: 'wards',
      send: (t) =>
        post(ctx.app, '/v1/wards', t.adminToken, { code: 'ID2', name: 'Ward 9', site: `Annexe ${POSTCODE}` }),
    },
    {
      name: 'a ward division',
      path: 'body.division',
      table: 'wards',
      send: (t) =>
        post(ctx.app, '/v1/wards', t.adminToken, { code: 'ID3', name: 'Ward 9', division: `DOB ${DATE_OF_BIRTH}` }),
    },
    {
      name: 'a staff name',
      path: 'body.name',
      table: 'staff',
      send: (t) =>
        post(ctx.app, '/v1/staff', t.adminToken, {
          name: `Nurse ${NHS_NUMBER}`,
          email: `n.${t.code.toLowerCase()}@example.nhs.uk`,
          role: 'clinician',
        }),
    },
    {
      name: 'a device token label',
      path: 'body.label',
      table: 'api_tokens',
      send: (t) => post(ctx.app, '/v1/tokens', t.adminToken, { wardId: t.wards[0]!.id, label: `Tablet ${NHS_NUMBER}` }),
    },
    {
      name: 'a priority title',
      path: 'body.title',
      table: 'priorities',
      send: (t) =>
        post(ctx.app, '/v1/priorities', t.adminToken, {
          title: `Falls like ${NHS_NUMBER}`,
          level: 'organisation',
          ownerStaffId: t.seniorManager.id,
        }),
    },
    {
      name: 'a priority division',
      path: 'body.division',
      table: 'priorities',
      send: (t) =>
        post(ctx.app, '/v1/priorities', t.adminToken, {
          title: 'Falls',
          level: 'division',
          division: `Medicine ${POSTCODE}`,
          ownerStaffId: t.seniorManager.id,
        }),
    },
    {
      name: 'a priority title changed',
      path: 'body.title',
      table: 'priorities',
      prepare: priorityOf,
      send: (t, id) => patch(ctx.app, `/v1/priorities/${id}`, t.adminToken, { title: `Falls, DOB ${DATE_OF_BIRTH}` }),
    },
    {
      name: 'the reason an item is escalated by hand',
      path: 'body.reason',
      table: 'escalations',
      prepare: openItem,
      send: (t, id) =>
        post(ctx.app, `/v1/items/${id}/escalate`, t.wards[0]!.deviceToken, {
          reason: `Family of ${NHS_NUMBER} complained`,
        }),
    },
  ];

  it.each(writes.map((w) => [w.name, w] as const))(
    'refuses an identifier in %s (422), storing nothing',
    async (_name, write) => {
      const trust = await createOrganisation(ctx.app);
      const count = async () =>
        (await rowsOf<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(write.table)}`))[0]!.n;
      const id = (await write.prepare?.(trust)) ?? '';
      const before = await count();
      const res = await write.send(trust, id);
      const problem = expectProblem(res, 422);
      expect(problem.errors).toEqual([
        { path: write.path, message: expect.stringMatching(/NHS number|postcode|date of birth/) },
      ]);
      expectNoIdentifier(res.raw, 'the 422 answer');
      expect(await count()).toBe(before);
    },
  );

  it('refuses an identifier in a name even under the redact policy, and redacts prose', async () => {
    const trust = await createOrganisation(ctx.app);
    await patch(ctx.app, '/v1/organisation/settings', trust.adminToken, { identifierPolicy: 'redact' });
    expectProblem(
      await post(ctx.app, '/v1/wards', trust.adminToken, { code: 'ID9', name: `Bay for ${NHS_NUMBER}` }),
      422,
    );
    const priority = await post(ctx.app, '/v1/priorities', trust.adminToken, {
      title: 'Fewer falls',
      description: `After the fall of ${NHS_NUMBER}`,
      level: 'organisation',
      ownerStaffId: trust.seniorManager.id,
    });
    expect(priority.status, priority.raw).toBe(201);
    expect(priority.body.description).toBe('After the fall of [redacted nhs_number]');
    const escalated = await post(ctx.app, `/v1/items/${await openItem(trust)}/escalate`, trust.wards[0]!.deviceToken, {
      reason: `Family of ${NHS_NUMBER} complained`,
    });
    expect(escalated.status, escalated.raw).toBe(201);
    expect(escalated.body.reason).toBe('Family of [redacted nhs_number] complained');
  });

  it('refuses an identifier in a priority description under the default policy', async () => {
    const res = await post(ctx.app, '/v1/priorities', org.adminToken, {
      title: 'Fewer falls',
      description: `After the fall of ${NHS_NUMBER}`,
      level: 'organisation',
      ownerStaffId: org.seniorManager.id,
    });
    expect(expectProblem(res, 422).errors).toEqual([
      { path: 'body.description', message: expect.stringMatching(/NHS number/) },
    ]);
  });
});

describe('what is kept', () => {
  it('never writes an identifier to the logs or the database, refused, redacted, or replayed', async () => {
    const redacting = await createOrganisation(ctx.app);
    await patch(ctx.app, '/v1/organisation/settings', redacting.adminToken, { identifierPolicy: 'redact' });
    const linesBefore = ctx.logLines.length;
    const body = {
      items: [risk({ description: `Patient ${NHS_NUMBER} DOB ${DATE_OF_BIRTH}`, actionTaken: `Home ${POSTCODE}` })],
    };
    const key = newKey();
    expectProblem(await record(org, body, { 'idempotency-key': key }), 422);
    expectProblem(await record(org, body, { 'idempotency-key': key }), 422);
    const redacted = await record(redacting, body, { 'idempotency-key': key });
    expect(redacted.status, redacted.raw).toBe(201);
    const created = await record(org, { items: [risk()] });
    expectProblem(
      await post(ctx.app, `/v1/items/${created.body.items[0].id}/resolve`, org.wards[0]!.deviceToken, {
        note: `${NHS_NUMBER}`,
      }),
      422,
    );

    const lines = ctx.logLines.slice(linesBefore);
    expect(lines.length).toBeGreaterThan(5); // the requests were logged, so the check below means something
    expectNoIdentifier(ctx.logLines.join('\n'), 'the logs');

    // Every text column of every table, including stored idempotent answers.
    const columns = await rowsOf<{ table_name: string; column_name: string }>(
      sql`select table_name, column_name from information_schema.columns
          where table_schema = 'public' and data_type in ('text', 'character varying', 'jsonb')`,
    );
    expect(columns.map((c) => `${c.table_name}.${c.column_name}`)).toEqual(
      expect.arrayContaining([
        'items.description',
        'items.action_taken',
        'items.resolution_note',
        'idempotency_keys.response_body',
      ]),
    );
    for (const { table_name, column_name } of columns) {
      const [found] = await rowsOf<{ n: number }>(
        sql`select count(*)::int as n from ${sql.identifier(table_name)}
            where ${sql.identifier(column_name)}::text ~* ${'9434765919|943 476 5919|943-476-5919|LS1 ?4AP|12/03/1954'}`,
      );
      expect(found!.n, `${table_name}.${column_name} holds an identifier`).toBe(0);
    }
  });
});
