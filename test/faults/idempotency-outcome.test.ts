/**
 * A keyed POST whose database connection dies after its change was written and before the
 * Idempotency-Key's answer was: the client got a 503. Whatever happened must be what a retry
 * with the same key is told, and the change must never be applied twice.
 *
 * The test holds a lock that writing the key's answer needs (a trigger on idempotency_keys, in
 * this test's own database clone, waits on an advisory lock the test holds), terminates the
 * request's backend while it waits there, then lets go and retries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { storedBriefings } from '../helpers/stored-rows.js';
import { eventsOf, putPolicy, raiseHighRiskItem, waitFor } from '../helpers/escalation.js';
import {
  briefingBody,
  createOrganisation,
  expectProblem,
  newKey,
  post,
  type ApiResponse,
  type Organisation,
} from '../helpers/fixtures.js';
import { ownDatabaseAdmin } from './service-harness.js';

const GATE = 727_001;
/** A second gate: recording a briefing, and removing or rewriting a key, wait on it. */
const WRITE_GATE = 727_002;

let ctx: TestContext;
let org: Organisation;
let admin: Awaited<ReturnType<typeof ownDatabaseAdmin>>;

beforeAll(async () => {
  ctx = await createTestContext();
  org = await createOrganisation(ctx.app);
  admin = await ownDatabaseAdmin(ctx.config.databaseUrl!);
  // Writing a key's answer (state 'completed') waits while the test holds the gate.
  await admin.client.query(`
    create function test_gate() returns trigger language plpgsql as $$
    begin perform pg_advisory_xact_lock(${GATE}); return new; end $$;
    create trigger test_gate_answer before insert or update on idempotency_keys
      for each row when (new.state = 'completed') execute function test_gate();
    create function test_write_gate() returns trigger language plpgsql as $$
    begin perform pg_advisory_xact_lock(${WRITE_GATE}); return coalesce(new, old); end $$;
    create trigger test_write_gate_briefing before insert on briefings
      for each row when (new.facilitator = 'Gated') execute function test_write_gate();
    create trigger test_write_gate_key before delete on idempotency_keys
      for each row execute function test_write_gate();`);
});
afterAll(async () => {
  await admin?.close();
  await ctx?.close();
});

/** Backends of this database waiting on a gate right now. */
async function waitingAtGate(gate = GATE) {
  const { rows } = await admin.client.query<{ pid: number }>(
    `select l.pid from pg_locks l join pg_database d on d.oid = l.database
     where d.datname = current_database() and l.locktype = 'advisory' and l.objid = $1 and not l.granted`,
    [gate],
  );
  return rows.map((row) => row.pid);
}

/**
 * Sends a request while the gate is held, terminates its backend once it waits at the gate,
 * and returns the answer the client got.
 */
async function terminatedAtTheAnswer(send: () => Promise<ApiResponse>) {
  await admin.client.query('select pg_advisory_lock($1)', [GATE]);
  try {
    const answer = send();
    const pids = await waitFor(
      async () => {
        const waiting = await waitingAtGate();
        return waiting.length > 0 ? waiting : undefined;
      },
      15_000,
      'the request to wait at the gate',
    );
    await admin.client.query('select pg_terminate_backend(pid) from unnest($1::int[]) pid', [pids]);
    return await answer;
  } finally {
    await admin.client.query('select pg_advisory_unlock($1)', [GATE]);
  }
}

function expectNoSql(answer: ApiResponse) {
  expect(answer.raw).not.toMatch(/Failed query|idempotency_keys|\bparams\b|\$\d/i);
}

describe('a keyed POST whose connection is terminated before its answer is stored', () => {
  it('POST /v1/briefings: the client gets a 503 problem; a retry gets the 201, and one briefing exists', async () => {
    const ward = org.wards[0]!;
    const body = briefingBody(ward.id, { date: '2026-09-01' });
    const key = newKey();

    const first = await terminatedAtTheAnswer(() =>
      post(ctx.app, '/v1/briefings', ward.deviceToken, body, { 'idempotency-key': key }),
    );
    expectProblem(first, 503);
    expectNoSql(first);

    const retry = await post(ctx.app, '/v1/briefings', ward.deviceToken, body, { 'idempotency-key': key });
    expect(retry.status, retry.raw).toBe(201);
    const again = await post(ctx.app, '/v1/briefings', ward.deviceToken, body, { 'idempotency-key': key });
    expect(again.status, again.raw).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.raw).toBe(retry.raw);
    expect((await storedBriefings(ctx, ward.id, body.date)).map((b) => b.id)).toEqual([retry.body.id]);
  });

  it('POST /v1/escalations/{id}/escalate: a retry gets the 200 and the escalation climbed once', async () => {
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
      ackWithinSeconds: { high: 3_600 },
    });
    const item = await raiseHighRiskItem(ctx, org);
    const escalationId: string = item.escalation.id;
    const key = newKey();
    const escalate = () =>
      post(
        ctx.app,
        `/v1/escalations/${escalationId}/escalate`,
        org.middleManager.token,
        { reason: 'Needs the matron' },
        { 'idempotency-key': key },
      );

    const first = await terminatedAtTheAnswer(escalate);
    expectProblem(first, 503);
    expectNoSql(first);

    const retry = await escalate();
    expect(retry.status, retry.raw).toBe(200);
    expect(retry.body.assignee.id).toBe(org.seniorManager.id);
    const again = await escalate();
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.raw).toBe(retry.raw);
    const escalated = (await eventsOf(ctx, escalationId)).filter((event) => event.type === 'escalated');
    expect(escalated).toHaveLength(1);
  });
});

describe('a database failure while answering an error', () => {
  it('is a 503 problem document that carries no SQL, query or parameter', async () => {
    const ward = org.wards[1]!;
    const body = briefingBody(ward.id, { date: '2026-09-02', facilitator: 'Gated' });
    await admin.client.query('select pg_advisory_lock($1)', [WRITE_GATE]);
    let answer: ApiResponse;
    try {
      const pending = post(ctx.app, '/v1/briefings', ward.deviceToken, body, { 'idempotency-key': newKey() });
      let settled = false;
      void pending.finally(() => (settled = true));
      // Every statement that waits at the gate is terminated: the briefing's, then whatever the
      // service does about the key after that failure.
      while (!settled) {
        const pids = await waitingAtGate(WRITE_GATE);
        if (pids.length)
          await admin.client.query('select pg_terminate_backend(pid) from unnest($1::int[]) pid', [pids]);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      answer = await pending;
    } finally {
      await admin.client.query('select pg_advisory_unlock($1)', [WRITE_GATE]);
    }
    expectProblem(answer, 503);
    expectNoSql(answer);
    expect(await storedBriefings(ctx, ward.id, body.date)).toEqual([]);
  });
});
