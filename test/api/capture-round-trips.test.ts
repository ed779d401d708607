/**
 * What recording a briefing asks of PostgreSQL, counted rather than timed: every round trip costs
 * the API process a write to its socket and a wake-up, and on a loaded machine that is most of
 * capture's CPU. A statement added to the capture path fails this test, so it is a decision.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { bearer, briefingBody, newKey, type Organisation } from '../helpers/fixtures.js';

interface Sent {
  text: string;
  /** A named statement is parsed and planned once per connection, however often it runs. */
  name: string | undefined;
}

let ctx: TestContext;
let org: Organisation;
const sent: Sent[] = [];
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with its client as `this` below
const query = pg.Client.prototype.query;

beforeAll(async () => {
  ({ ctx, org } = await startApiTest({ policy: (org) => ({ levels: [{ staffId: org.middleManager.id }] }) }));
  // The outbox relay shares the pool and runs beside requests: stopped, only requests send statements.
  await ctx.relay.stop();
  pg.Client.prototype.query = function (this: object, ...args: unknown[]) {
    const [config] = args as [string | { text: string; name?: string }];
    sent.push(
      typeof config === 'string' ? { text: config, name: undefined } : { text: config.text, name: config.name },
    );
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
});
afterEach(() => {
  sent.length = 0;
});
afterAll(async () => {
  pg.Client.prototype.query = query;
  await ctx?.close();
});

/** The statements a POST sent, in order (the start of each). */
async function statementsOf(payload: Record<string, unknown>, key = newKey()) {
  sent.length = 0;
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/v1/briefings',
    headers: { ...bearer(org.wards[0]!.deviceToken), 'idempotency-key': key },
    payload,
  });
  expect(response.statusCode, response.body).toBe(201);
  return sent.map((s) => s.text.replace(/\s+/g, ' ').slice(0, 60));
}

const escalatedProblem = {
  kind: 'problem',
  category: 'equipment',
  description: 'Suction unit in resus bay missing its tubing',
  consequence: 4,
  likelihood: 4,
  harm: 'none',
  resolvedAtBriefing: false,
  needsChange: true,
};

describe('recording a briefing, in round trips to PostgreSQL', () => {
  it('takes eight: token, begin, key, ward, repeats, the one write, the answer, commit', async () => {
    // The first use of a token also records when it was last used; the count is of the usual case.
    await statementsOf(briefingBody(org.wards[0]!.id, { date: '2026-10-01' }));

    const statements = await statementsOf(
      briefingBody(org.wards[0]!.id, {
        date: '2026-10-02',
        items: [
          escalatedProblem,
          { kind: 'good_practice', category: 'communication', description: 'Safety huddle started on time' },
        ],
      }),
    );

    expect(statements, statements.join('\n')).toHaveLength(8);
    expect(statements.filter((s) => /^(savepoint|release savepoint)/i.test(s))).toEqual([]);
  });

  it('sends each statement but begin and commit under a name, so a connection parses and plans it once', async () => {
    await statementsOf(briefingBody(org.wards[0]!.id, { date: '2026-10-05' }));
    // Two escalated problems each time, unlike anything open on the ward (no repeats).
    const body = (date: string, descriptions: string[]) =>
      briefingBody(org.wards[0]!.id, {
        date,
        items: descriptions.map((description) => ({ ...escalatedProblem, description })),
      });
    await statementsOf(body('2026-10-06', ['Hoist battery flat overnight', 'Syringe driver alarm ignored twice']));
    const first = sent.map((s) => ({ ...s }));
    await statementsOf(
      body('2026-10-07', ['Sharps bin overfilled in sluice', 'Blood gas analyser failed calibration']),
    );

    const unnamed = sent.filter((s) => s.name === undefined).map((s) => s.text.trim().slice(0, 40));
    expect(unnamed).toEqual(['begin', 'commit']);
    // The combined write of a briefing of the same shape is the same named statement each time.
    expect(sent.map((s) => s.name)).toEqual(first.map((s) => s.name));
  });

  it('replays a retried request in five: token, begin, key, the stored answer, rollback', async () => {
    const key = newKey();
    const body = briefingBody(org.wards[0]!.id, { date: '2026-10-03' });
    await statementsOf(body, key);

    const replayed = await statementsOf(body, key);

    expect(replayed, replayed.join('\n')).toHaveLength(5);
  });
});
