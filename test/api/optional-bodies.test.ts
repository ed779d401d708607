/**
 * What a person types: an action that needs no body answers the same whether the client sends
 * no body, an empty body or `{}`, with or without `Content-Type: application/json`. Sent over
 * real HTTP, so nothing adds or drops a header on the way.
 */
import { request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, PLATFORM_TOKEN, type TestContext } from '../helpers/context.js';
import { createOrganisation, type Organisation } from '../helpers/fixtures.js';
import { putPolicy, raiseHighRiskItem } from '../helpers/escalation.js';

let ctx: TestContext;
let org: Organisation;
let baseUrl: string;

beforeAll(async () => {
  ctx = await createTestContext();
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const address = ctx.app.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening on a port');
  baseUrl = `http://127.0.0.1:${address.port}`;
  org = await createOrganisation(ctx.app);
  await putPolicy(ctx, org, org.wards[0]!.id, { levels: [{ staffId: org.middleManager.id }] });
});
afterAll(() => ctx?.close());

interface Variant {
  name: string;
  body?: string;
  contentType?: string;
}

/** Every way of sending "nothing" that a person or a client library produces. */
const NOTHING: Variant[] = [
  { name: 'no body' },
  { name: 'no body, Content-Type: application/json', contentType: 'application/json' },
  { name: 'an empty body', body: '' },
  { name: 'an empty body, Content-Type: application/json', body: '', contentType: 'application/json' },
  { name: '{}', body: '{}' },
  { name: '{}, Content-Type: application/json', body: '{}', contentType: 'application/json' },
];

function send(method: string, path: string, token: string, variant: Variant) {
  return new Promise<{ status: number; contentType: string; body: string }>((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (variant.contentType) headers['content-type'] = variant.contentType;
    if (variant.body !== undefined) headers['content-length'] = String(Buffer.byteLength(variant.body));
    const req = httpRequest(`${baseUrl}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end(variant.body);
  });
}

describe('POST /v1/escalations/:id/acknowledge', () => {
  it.each(NOTHING)('acknowledges with $name', async (variant) => {
    const item = await raiseHighRiskItem(ctx, org);
    const res = await send(
      'POST',
      `/v1/escalations/${item.escalation.id}/acknowledge`,
      org.middleManager.token,
      variant,
    );
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ id: item.escalation.id, state: 'acknowledged' });
  });
});

/** Write operations of the committed contract whose body is absent or optional. */
function operationsWithoutRequiredBody() {
  const document = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as {
    paths: Record<string, Record<string, { operationId: string; requestBody?: { required?: boolean } }>>;
  };
  const found: { method: string; template: string; operationId: string }[] = [];
  for (const [template, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (!['post', 'put', 'patch', 'delete'].includes(method)) continue;
      if (operation.requestBody?.required === true) continue;
      found.push({ method: method.toUpperCase(), template, operationId: operation.operationId });
    }
  }
  return found;
}

describe('every write whose body is optional', () => {
  const operations = operationsWithoutRequiredBody();

  it('includes the actions a person sends without a body', () => {
    expect(operations.map((op) => op.operationId)).toEqual(
      expect.arrayContaining(['acknowledgeEscalation', 'markNotificationRead', 'revokeToken']),
    );
  });

  // Unknown ids: the answer is the route's own 404 (or 204 for the organisation's webhook),
  // reached only once the body has been accepted, whichever way "nothing" was sent.
  it.each(operations.map((op) => [`${op.method} ${op.template}`, op] as const))(
    '%s answers alike',
    async (_label, op) => {
      const path = op.template.replace(/\{[^}]+\}/g, () => randomUUID());
      const token =
        op.operationId === 'markNotificationRead' || op.operationId === 'acknowledgeEscalation'
          ? org.middleManager.token
          : op.operationId.includes('Priorit') || op.operationId.includes('Recurrence')
            ? org.wards[0]!.deviceToken
            : op.operationId === 'removeIdentityProvider'
              ? PLATFORM_TOKEN
              : org.adminToken;
      const answers = [];
      for (const variant of NOTHING) {
        const res = await send(op.method, path, token, variant);
        answers.push({
          variant: variant.name,
          status: res.status,
          detail: res.status >= 400 ? JSON.parse(res.body).detail : '',
        });
      }
      const expected = answers[0]!;
      expect([200, 204, 404]).toContain(expected.status);
      expect(answers).toEqual(NOTHING.map((variant) => ({ ...expected, variant: variant.name })));
    },
  );
});
