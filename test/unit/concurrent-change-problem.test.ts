/**
 * A transaction PostgreSQL ends because it met another (a deadlock, a serialisation failure) wrote
 * nothing, so the client is told to send the request again: 503 with Retry-After, not a 500.
 */
import Fastify from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { problemErrorsPlugin } from '../../src/http/error-handler.js';

/** What drizzle throws for a statement the driver failed: the driver's error as its cause. */
const failedStatement = (code: string, message: string) =>
  Object.assign(new Error('Failed query: update items ...'), { cause: Object.assign(new Error(message), { code }) });

const app = Fastify({ logger: false });
beforeAll(async () => {
  await app.register(problemErrorsPlugin);
  app.get('/fails/:code', async (request) => {
    const { code } = request.params as { code: string };
    throw failedStatement(code, 'the statement failed');
  });
  await app.ready();
});
afterAll(() => app.close());

it.each([
  ['40P01', 'deadlock detected'],
  ['40001', 'could not serialize access due to concurrent update'],
])('answers %s (%s) 503 with Retry-After, as a problem document', async (code) => {
  const res = await app.inject({ method: 'GET', url: `/fails/${code}` });
  expect(res.statusCode).toBe(503);
  expect(res.headers['retry-after']).toBe('1');
  expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  expect(res.json()).toMatchObject({ status: 503, detail: expect.stringMatching(/nothing was written/) });
});

it('still answers 500 for a failure that is not about a concurrent change', async () => {
  const res = await app.inject({ method: 'GET', url: '/fails/23502' });
  expect(res.statusCode).toBe(500);
  expect(res.headers['retry-after']).toBeUndefined();
});
