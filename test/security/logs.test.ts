/**
 * What reaches the logs: every line the app writes (ctx.logLines, at trace level, the most it
 * would ever log) while ward staff and managers send patient identifiers (an NHS number with and
 * without spaces, a postcode, a date of birth) and other free text in every free-text field, in
 * requests that succeed, are refused (400, 401, 403, 404, 409, 422) or fail inside the database
 * (500, from a trigger whose message quotes the text). No line may hold an identifier, the free
 * text, a bearer token or an Authorization header; every request must still be logged (by its
 * request id), so the check is not vacuous.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORM_TOKEN, createTestContext, type TestContext } from '../helpers/context.js';
import { briefingBody, call, patch, type ApiResponse, type CallOptions } from '../helpers/fixtures.js';
import { buildWorld, type World } from './route-world.js';

const NHS_SPACED = '943 476 5919';
const NHS_PLAIN = '9434765919';
const POSTCODE = 'SW1A 1AA';
const DOB = '14/07/1961';
/** Free text that carries no identifier but must not be logged either (a unique marker). */
const FREE_TEXT = 'Quietly-wobbling-commode-in-side-room';

/** Every spelling to search the logs for. */
const NEEDLES = [NHS_SPACED, NHS_PLAIN, '943-476-5919', POSTCODE, 'SW1A1AA', DOB, '14\\/07\\/1961', FREE_TEXT];

/** Text with all of it: an identifier of each kind and the marker. */
const text = (what: string) => `${what}: ${FREE_TEXT} for NHS ${NHS_SPACED} (${NHS_PLAIN}), ${POSTCODE}, DOB ${DOB}`;

let ctx: TestContext;
let world: World;
/** An organisation that redacts identifiers instead of refusing them (so requests succeed). */
let redacting: World;
const sent: { what: string; res: ApiResponse; token: string | undefined }[] = [];

async function send(what: string, options: CallOptions) {
  const res = await call(ctx.app, options);
  sent.push({ what, res, token: options.token });
  return res;
}

beforeAll(async () => {
  ctx = await createTestContext({ LOG_LEVEL: 'trace' });
  world = await buildWorld(ctx, 4);
  redacting = await buildWorld(ctx, 8);
  const settings = await patch(ctx.app, '/v1/organisation/settings', redacting.org.adminToken, {
    identifierPolicy: 'redact',
  });
  expect(settings.status, settings.raw).toBe(200);
}, 60_000);
afterAll(() => ctx?.close());

function linesWith(needle: string, lines: string[]) {
  const lower = needle.toLowerCase();
  return lines.filter((line) => line.toLowerCase().includes(lower));
}

/** The request was logged (a line carries its request id) and no line holds any needle or token. */
function expectClean(lines: string[], requests: typeof sent) {
  const found: string[] = [];
  for (const needle of NEEDLES)
    for (const line of linesWith(needle, lines)) found.push(`"${needle}" in ${line.slice(0, 400)}`);
  for (const { what, token } of requests) {
    if (token && linesWith(token, lines).length) found.push(`the bearer token of "${what}"`);
  }
  for (const line of lines)
    if (/"authorization"\s*:\s*"(?!\[redacted\])/i.test(line))
      found.push(`an Authorization header: ${line.slice(0, 300)}`);
  const unlogged = requests.filter(
    ({ res }) => !lines.some((line) => line.includes(String(res.headers['x-request-id']))),
  );
  expect(
    unlogged.map((r) => r.what),
    'requests with no log line at all (the check would be vacuous)',
  ).toEqual([]);
  return found;
}

/** Every free-text field a ward writes, for one trust: refused (422) or redacted (2xx). */
async function sendWardWrites(trust: World, outcome: string) {
  const { org } = trust;
  const ward = org.wards[0]!;
  const [first] = trust.escalatedItems;
  await send(`${outcome} briefing`, {
    method: 'POST',
    url: '/v1/briefings',
    token: ward.deviceToken,
    headers: { 'idempotency-key': `key ${NHS_PLAIN}` },
    payload: briefingBody(ward.id, {
      date: '2026-08-01',
      facilitator: 'Charge nurse',
      items: [
        {
          kind: 'problem',
          category: 'equipment',
          description: text('description'),
          actionTaken: text('action taken'),
          clinicalRationale: text('rationale'),
          consequence: 3,
          likelihood: 3,
          needsChange: true,
        },
      ],
    }),
  });
  await send(`${outcome} briefing not held`, {
    method: 'POST',
    url: '/v1/briefings',
    token: ward.deviceToken,
    payload: { wardId: ward.id, date: '2026-08-02', held: false, notHeldReason: text('not held') },
  });
  await send(`${outcome} resolve note`, {
    method: 'POST',
    url: `/v1/items/${trust.quietItems[0]}/resolve`,
    token: ward.deviceToken,
    payload: { note: text('note') },
  });
  await send(`${outcome} escalate reason`, {
    method: 'POST',
    url: `/v1/items/${trust.quietItems[1]}/escalate`,
    token: ward.deviceToken,
    payload: { reason: text('reason') },
  });
  await send(`${outcome} clinical position`, {
    method: 'POST',
    url: `/v1/items/${first!.itemId}/clinical-position`,
    token: ward.deviceToken,
    payload: { needsChange: true, rationale: text('rationale') },
  });
}

/** Every free-text field a manager writes on an escalation, and a priority's description. */
async function sendManagerWrites(trust: World, outcome: string) {
  const { org } = trust;
  const [first, second, third, fourth] = trust.escalatedItems;
  const esc = (
    i: { escalationId: string } | undefined,
    action: string,
    payload: unknown,
    token = org.middleManager.token,
  ) =>
    send(`${outcome} escalation ${action}`, {
      method: 'POST',
      url: `/v1/escalations/${i!.escalationId}/${action}`,
      token,
      payload,
    });
  await esc(first, 'comment', { text: text('comment') });
  await esc(first, 'position', { stance: 'agree', rationale: text('position') });
  await esc(first, 'actions', { description: text('action'), dueDate: '2027-01-01' });
  await esc(second, 'snooze', { until: '2027-01-01T10:00:00Z', reason: text('snooze') });
  await esc(second, 'escalate', { reason: text('escalate') });
  await esc(third, 'reassign', { staffId: org.seniorManager.id, reason: text('reassign') });
  await esc(fourth, 'resolve', { outcome: 'fixed', note: text('resolve') });
  await send(`${outcome} priority`, {
    method: 'POST',
    url: '/v1/priorities',
    token: org.adminToken,
    payload: {
      title: 'Equipment',
      description: text('priority'),
      level: 'organisation',
      ownerStaffId: org.seniorManager.id,
    },
  });
}

/** Requests refused before any handler: forbidden, unauthenticated, invalid, unknown, conflicting. */
async function sendRefusedRequests() {
  const { org } = world;
  const ward = org.wards[0]!;
  await send('403 governance records a briefing', {
    method: 'POST',
    url: '/v1/briefings',
    token: org.governance.token,
    payload: briefingBody(ward.id, {
      items: [{ kind: 'risk', category: 'staffing', description: text('forbidden'), consequence: 2, likelihood: 2 }],
    }),
  });
  await send('401 unknown token', {
    method: 'POST',
    url: `/v1/items/${world.quietItems[2]}/resolve`,
    token: `wsb_${NHS_PLAIN}_${randomUUID()}`,
    payload: { note: text('401') },
  });
  await send('401 malformed header', {
    method: 'GET',
    url: '/v1/wards',
    headers: { authorization: `Token ${NHS_PLAIN} ${FREE_TEXT}` },
  });
  await send('400 unknown field', {
    method: 'POST',
    url: `/v1/items/${world.quietItems[2]}/resolve`,
    token: ward.deviceToken,
    payload: { note: 'ok', [FREE_TEXT]: text('unknown') },
  });
  await send('400 too long', {
    method: 'POST',
    url: `/v1/items/${world.quietItems[2]}/resolve`,
    token: ward.deviceToken,
    payload: { note: text('long').repeat(60) },
  });
  await send('400 wrong type', {
    method: 'POST',
    url: '/v1/briefings',
    token: ward.deviceToken,
    payload: { ...briefingBody(ward.id), date: text('date') },
  });
  await send('404 item of no one', {
    method: 'POST',
    url: `/v1/items/${randomUUID()}/resolve`,
    token: ward.deviceToken,
    payload: { note: text('404') },
  });
  await send('409 second briefing', {
    method: 'POST',
    url: '/v1/briefings',
    token: ward.deviceToken,
    payload: briefingBody(ward.id, { date: '2026-10-01', facilitator: FREE_TEXT }),
  });
  await send('platform admin creates an organisation', {
    method: 'POST',
    url: '/v1/organisations',
    token: PLATFORM_TOKEN,
    payload: { name: `Trust ${FREE_TEXT}`, code: 'LOGS1' },
  });
  await send('issue a token', {
    method: 'POST',
    url: '/v1/tokens',
    token: org.adminToken,
    payload: { wardId: ward.id, label: FREE_TEXT },
  });
}

describe('the logs', () => {
  it('never hold identifiers, free text or tokens from requests that succeed or are refused', async () => {
    const from = ctx.logLines.length;
    const start = sent.length;
    for (const [trust, outcome] of [
      [world, 'refused (422)'],
      [redacting, 'redacted (2xx)'],
    ] as const) {
      await sendWardWrites(trust, outcome);
      await sendManagerWrites(trust, outcome);
    }
    await sendRefusedRequests();
    const requests = sent.slice(start);
    const statuses = requests.map((r) => r.res.status);
    // The requests did what they were meant to: both outcomes were exercised.
    expect(statuses.filter((s) => s === 422).length).toBeGreaterThanOrEqual(10);
    expect(statuses.filter((s) => s >= 200 && s < 300).length).toBeGreaterThanOrEqual(12);
    expect(statuses).toEqual(expect.arrayContaining([400, 401, 403, 404, 409]));
    const lines = ctx.logLines.slice(from);
    const found = expectClean(lines, requests);
    console.log(
      `[logs] ${requests.length} requests (${summarise(statuses)}) carrying an NHS number (spaced and plain), a postcode, a DOB and ` +
        `free text in every free-text field: ${lines.length} log lines at trace level, ${found.length} with an identifier, free text or token`,
    );
    expect(found).toEqual([]);
  }, 60_000);

  it('never hold the free text of a request that fails inside the database (500), though the failure is logged with its cause', async () => {
    const from = ctx.logLines.length;
    const start = sent.length;
    const ward = redacting.org.wards[0]!;
    await ctx.database.db.execute(
      sql.raw(`
      create function test_logs_refuse() returns trigger language plpgsql as $$
      begin
        if new.description like '%${FREE_TEXT}%' then
          raise exception 'item refused by the ward system: %', new.description using errcode = 'P0001';
        end if;
        return new;
      end $$`),
    );
    await ctx.database.db.execute(
      sql.raw(
        `create trigger test_logs_refuse before insert on items for each row execute function test_logs_refuse()`,
      ),
    );
    let res: ApiResponse;
    try {
      res = await send('500 from the database', {
        method: 'POST',
        url: '/v1/briefings',
        token: ward.deviceToken,
        payload: briefingBody(ward.id, {
          date: '2026-08-09',
          items: [
            { kind: 'problem', category: 'equipment', description: text('description'), consequence: 3, likelihood: 3 },
          ],
        }),
      });
    } finally {
      await ctx.database.db.execute(sql.raw(`drop trigger test_logs_refuse on items`));
      await ctx.database.db.execute(sql.raw(`drop function test_logs_refuse()`));
    }
    expect(res.status, res.raw).toBe(500);
    for (const needle of NEEDLES) expect(res.raw).not.toContain(needle);
    const lines = ctx.logLines.slice(from);
    const errorLine = lines.find((line) => (JSON.parse(line) as { level: number }).level >= 50);
    expect(errorLine, 'the failure is logged').toBeDefined();
    expect(errorLine).toContain(String(res.headers['x-request-id']));
    expect(errorLine, 'with the SQLSTATE that names the cause').toContain('P0001');
    const found = expectClean(lines, sent.slice(start));
    console.log(
      `[logs] a 500 from a trigger quoting the item's text: ${lines.length} log lines, ${found.length} with the free text or an identifier`,
    );
    expect(found).toEqual([]);
  });

  it('never hold an identifier a client put in a URL (path or query string)', async () => {
    const from = ctx.logLines.length;
    const start = sent.length;
    const token = world.org.adminToken;
    await send('404 path', { method: 'GET', url: `/v1/patients/${NHS_PLAIN}`, token });
    await send('400 query', {
      method: 'GET',
      url: `/v1/items?wardId=${NHS_PLAIN}&postcode=${encodeURIComponent(POSTCODE)}`,
      token,
    });
    await send('400 id', { method: 'GET', url: `/v1/items/${encodeURIComponent(NHS_SPACED)}`, token });
    const lines = ctx.logLines.slice(from);
    const found = expectClean(lines, sent.slice(start));
    console.log(`[logs] 3 requests with an identifier in the URL: ${found.length} log lines hold it`);
    expect(found).toEqual([]);
  });
});

function summarise(statuses: number[]) {
  const counts = new Map<number, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${n}x${s}`)
    .join(', ');
}
