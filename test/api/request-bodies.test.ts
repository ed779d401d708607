/** Bodies as they arrive: content types, JSON that is not an object or not JSON, and the size limit. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { storedForWard } from '../helpers/stored-rows.js';
import { item, paths } from './validation-helpers.js';
import { briefingBody, call, expectProblem, get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ({ ctx, org } = await startApiTest());
});
afterAll(() => ctx?.close());

const ward = () => org.wards[0]!;

describe('request bodies that are not JSON objects', () => {
  const send = (payload: string, contentType?: string) =>
    call(ctx.app, {
      method: 'POST',
      url: '/v1/briefings',
      token: ward().deviceToken,
      payload,
      headers: contentType === undefined ? {} : { 'content-type': contentType },
    });

  it.each([
    ['text/plain', 'wardId=1'],
    ['application/x-www-form-urlencoded', 'wardId=1&date=2026-01-07'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="wardId"\r\n\r\n1\r\n--x--'],
    ['application/xml', '<briefing/>'],
  ])('answers 415 to %s', async (contentType, payload) => {
    const before = await storedForWard(ctx, ward().id);
    expectProblem(await send(payload, contentType), 415);
    expect(await storedForWard(ctx, ward().id)).toEqual(before);
  });

  it('answers 415 to text/plain even when the text is valid JSON', async () => {
    expectProblem(await send(JSON.stringify(briefingBody(ward().id, { date: '2026-01-08' })), 'text/plain'), 415);
    const listed = await get(
      ctx.app,
      `/v1/briefings?wardId=${ward().id}&from=2026-01-08&to=2026-01-08`,
      org.adminToken,
    );
    expect(listed.body.data).toEqual([]);
  });

  it('accepts JSON with a charset parameter', async () => {
    const res = await send(
      JSON.stringify(briefingBody(ward().id, { date: '2026-01-09' })),
      'application/json; charset=utf-8',
    );
    expect(res.status, res.raw).toBe(201);
  });

  it.each([
    ['truncated', '{"wardId": '],
    ['trailing comma', '{"date": "2026-01-10",}'],
    ['single quotes', "{'date': '2026-01-10'}"],
    ['prototype pollution', '{"__proto__": {"admin": true}}'],
  ])('answers 400 to malformed JSON (%s) without echoing it', async (_name, payload) => {
    const res = await send(payload, 'application/json');
    const problem = expectProblem(res, 400);
    expect(problem.detail).not.toContain(payload);
  });

  it('answers 400 to an empty JSON body', async () => {
    expectProblem(await send('', 'application/json'), 400);
  });

  it.each(['null', '[]', '"briefing"', '42'])('answers 400 to the JSON value %s', async (payload) => {
    const problem = expectProblem(await send(payload, 'application/json'), 400);
    expect(paths(problem)).toEqual(['body']);
  });
});

describe('body size', () => {
  const LIMIT = 4096;
  let small: TestContext;
  let trust: Organisation;

  beforeAll(async () => {
    ({ ctx: small, org: trust } = await startApiTest({ env: { BODY_LIMIT_BYTES: String(LIMIT) } }));
  });
  afterAll(() => small?.close());

  /** A valid briefing whose JSON is exactly `bytes` long. */
  const sized = (date: string, bytes: number) => {
    const body = { wardId: trust.wards[0]!.id, date, items: [] as Record<string, unknown>[] };
    let size = JSON.stringify(body).length;
    while (size < bytes) {
      const emptyItem = JSON.stringify(item({ description: '' })).length + (body.items.length > 0 ? 1 : 0);
      const room = Math.min(2000, bytes - size - emptyItem);
      if (room < 1) throw new Error('cannot size the body exactly');
      body.items.push(item({ description: 'd'.repeat(room) }));
      size = JSON.stringify(body).length;
    }
    expect(size).toBe(bytes);
    return body;
  };

  it('accepts a body at the configured limit', async () => {
    const res = await post(small.app, '/v1/briefings', trust.wards[0]!.deviceToken, sized('2026-02-01', LIMIT));
    expect(res.status, res.raw).toBe(201);
  });

  it('answers 413 to a body over the configured limit and stores nothing', async () => {
    const res = await post(small.app, '/v1/briefings', trust.wards[0]!.deviceToken, sized('2026-02-02', LIMIT + 1));
    expectProblem(res, 413);
    expect(await storedForWard(small, trust.wards[0]!.id)).toEqual({ briefings: 1, items: 2 });
  });

  it('the default limit (256 KiB) refuses a larger body with 413', async () => {
    const res = await post(ctx.app, '/v1/briefings', ward().deviceToken, {
      ...briefingBody(ward().id),
      padding: 'p'.repeat(300 * 1024),
    });
    expectProblem(res, 413);
  });
});
