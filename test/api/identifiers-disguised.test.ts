/**
 * Text that reads differently from what it holds: an NHS number split by zero-width or no-break
 * spaces, or typed in full-width digits, is refused in a name as the plain number is; a name or
 * a reason made only of invisible characters is refused as an empty one is; an organisation's
 * name is screened like the others.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApiTest } from '../helpers/api-setup.js';
import { PLATFORM_TOKEN, type TestContext } from '../helpers/context.js';
import { raiseHighRiskItem } from '../helpers/escalation.js';
import { expectProblem, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
beforeAll(async () => {
  ({ ctx, org } = await startApiTest({ policy: (o) => ({ levels: [{ staffId: o.middleManager.id }] }) }));
});
afterAll(() => ctx?.close());

it('refuses an NHS number hidden by zero-width or no-break spaces, or in full-width digits, in names and labels', async () => {
  const disguised = [
    'Nurse 943\u200b476\u200b5919',
    'Nurse 943\u00a0476\u00a05919',
    'Nurse \uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19',
  ];
  for (const [index, name] of disguised.entries()) {
    const staff = await post(ctx.app, '/v1/staff', org.adminToken, {
      name,
      email: `disguised${index}.${org.code.toLowerCase()}@example.nhs.uk`,
      role: 'clinician',
    });
    expect(expectProblem(staff, 422).errors, name).toEqual([
      { path: 'body.name', message: expect.stringMatching(/NHS number/) },
    ]);
    const label = await post(ctx.app, '/v1/tokens', org.adminToken, { wardId: org.wards[0]!.id, label: name });
    expect(expectProblem(label, 422).errors, name).toEqual([
      { path: 'body.label', message: expect.stringMatching(/NHS number/) },
    ]);
  }
});

it('refuses a name, or a reason, that shows nothing: only zero-width characters', async () => {
  const ward = expectProblem(
    await post(ctx.app, '/v1/wards', org.adminToken, { code: 'ZW1', name: '\u200b\u200b' }),
    400,
  );
  expect(ward.errors).toEqual([{ path: 'body.name', message: 'must contain visible text' }]);
  const item = await raiseHighRiskItem(ctx, org);
  const voided = expectProblem(
    await post(ctx.app, `/v1/items/${item.id}/void`, org.adminToken, { reason: '\u200b' }),
    400,
  );
  expect(voided.errors).toEqual([{ path: 'body.reason', message: 'must contain visible text' }]);
});

it("refuses an identifier in an organisation's name, as in every other name", async () => {
  const res = await post(ctx.app, '/v1/organisations', PLATFORM_TOKEN, {
    name: 'Trust of 943 476 5919',
    code: 'IDORG1',
  });
  expect(expectProblem(res, 422).errors).toEqual([{ path: 'body.name', message: expect.stringMatching(/NHS number/) }]);
});
