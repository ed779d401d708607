/**
 * A senior manager sending an issue back reaches the organisation's webhook as
 * `escalation.sent_back`, addressed to the middle manager, like every other escalation event.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { raiseHighRiskItem, waitFor } from '../helpers/escalation.js';
import { call, post, type Organisation } from '../helpers/fixtures.js';

interface Event {
  id: string;
  type: string;
  data: { escalationId: string; itemId: string; level: number; recipient: { id: string } };
}

let ctx: TestContext;
let org: Organisation;
const received: Event[] = [];
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Event);
    response.writeHead(200).end('ok');
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  ({ ctx, org } = await startApiTest({
    policy: (o) => ({ levels: [{ staffId: o.middleManager.id }, { staffId: o.seniorManager.id }] }),
    workers: true,
  }));
  const { port } = receiver.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/hook`;
  const configured = await call(ctx.app, {
    method: 'PUT',
    url: '/v1/organisation/webhook',
    token: org.adminToken,
    payload: { url },
  });
  expect(configured.status, configured.raw).toBe(200);
});
afterAll(async () => {
  await ctx?.close();
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

const eventsOf = (escalationId: string) => received.filter((e) => e.data.escalationId === escalationId);

async function sendBack(itemId: string) {
  const res = await post(ctx.app, `/v1/items/${itemId}/senior-decision`, org.seniorManager.token, {
    decision: 'send_back',
    reason: 'Talk to the ward team first',
  });
  expect(res.status, res.raw).toBe(201);
  return res.body;
}

describe('a senior decision to send an issue back', () => {
  it('is delivered to the webhook as escalation.sent_back, for the middle manager', async () => {
    const item = await raiseHighRiskItem(ctx, org);
    const escalationId: string = item.escalation.id;
    expect(
      (await post(ctx.app, `/v1/escalations/${escalationId}/acknowledge`, org.middleManager.token, {})).status,
    ).toBe(200);
    await sendBack(item.id);
    await waitFor(async () => eventsOf(escalationId).length >= 2, 15_000, 'the sent_back event');
    expect(eventsOf(escalationId).map((e) => [e.type, e.data.recipient.id])).toEqual([
      ['escalation.assigned', org.middleManager.id],
      ['escalation.sent_back', org.middleManager.id],
    ]);
    expect(eventsOf(escalationId)[1]!.data).toMatchObject({ itemId: item.id, level: 1 });
    expect(JSON.stringify(eventsOf(escalationId)[1])).not.toContain('Talk to the ward');
  });

  it('reaches the middle manager while the escalation is still waiting for them, and each time it is sent back', async () => {
    const item = await raiseHighRiskItem(ctx, org);
    const escalationId: string = item.escalation.id;
    await sendBack(item.id);
    await sendBack(item.id);
    await waitFor(async () => eventsOf(escalationId).length >= 3, 15_000, 'both sent_back events');
    expect(eventsOf(escalationId).map((e) => e.type)).toEqual([
      'escalation.assigned',
      'escalation.sent_back',
      'escalation.sent_back',
    ]);
    const told = await call(ctx.app, { method: 'GET', url: '/v1/notifications', token: org.middleManager.token });
    const sentBack = told.body.data.filter(
      (n: { type: string; escalationId: string }) => n.type === 'sent_back' && n.escalationId === escalationId,
    );
    expect(sentBack).toHaveLength(2);
  });
});
