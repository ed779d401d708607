/**
 * The check the test app helper runs on every injected answer (test/helpers/contract.ts): it
 * must pass what the contract declares and name what it does not.
 */
import { describe, expect, it } from 'vitest';
import { contractViolation } from '../helpers/contract.js';

const problem = {
  type: 'https://safety-briefings.example/problems/not-found',
  title: 'Not found',
  status: 404,
  detail: 'Ward not found',
  instance: '/v1/wards/0b6f0c1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f',
  requestId: '5d0c1b2a-3e4f-4a5b-9c6d-7e8f9a0b1c2d',
};
const PROBLEM_JSON = 'application/problem+json; charset=utf-8';
const wardUrl = '/v1/wards/0b6f0c1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f';

describe('the contract check on answers', () => {
  it('passes a declared status, content type and body', () => {
    expect(
      contractViolation({
        method: 'GET',
        url: wardUrl,
        statusCode: 404,
        contentType: PROBLEM_JSON,
        body: JSON.stringify(problem),
      }),
    ).toBeNull();
  });

  it('names a status the operation does not declare', () => {
    expect(
      contractViolation({
        method: 'GET',
        url: wardUrl,
        statusCode: 409,
        contentType: PROBLEM_JSON,
        body: JSON.stringify(problem),
      }),
    ).toMatch(/GET \/v1\/wards\/\{id\} \(getWard\) answered 409: status not declared/);
  });

  it('names a content type the status does not declare (an error sent as application/json)', () => {
    expect(
      contractViolation({
        method: 'GET',
        url: wardUrl,
        statusCode: 404,
        contentType: 'application/json; charset=utf-8',
        body: JSON.stringify(problem),
      }),
    ).toMatch(/answered 404 with application\/json: not declared \(declared: application\/problem\+json\)/);
  });

  it('names a body that does not match the declared schema', () => {
    const { requestId: _dropped, ...withoutRequestId } = problem;
    expect(
      contractViolation({
        method: 'GET',
        url: wardUrl,
        statusCode: 404,
        contentType: PROBLEM_JSON,
        body: JSON.stringify(withoutRequestId),
      }),
    ).toMatch(/body does not match the declared schema: \(body\) must have required property 'requestId'/);
    expect(
      contractViolation({
        method: 'GET',
        url: '/v1/wards',
        statusCode: 200,
        contentType: 'application/json',
        body: JSON.stringify({ data: [{ id: 'x' }] }),
      }),
    ).toMatch(/\/data\/0/);
  });

  it('matches a literal path segment before a parameter', () => {
    expect(
      contractViolation({
        method: 'GET',
        url: '/v1/organisation/webhook/deliveries',
        statusCode: 418,
        contentType: PROBLEM_JSON,
        body: '{}',
      }),
    ).toMatch(/listWebhookDeliveries/);
  });

  it('checks text answers: the governance pack as CSV is declared, as XML it is not', () => {
    const url = '/v1/reports/governance?format=csv';
    expect(
      contractViolation({
        method: 'GET',
        url,
        statusCode: 200,
        contentType: 'text/csv; charset=utf-8',
        body: 'metric,scope,period,value\n',
      }),
    ).toBeNull();
    expect(
      contractViolation({ method: 'GET', url, statusCode: 200, contentType: 'application/xml', body: '<pack/>' }),
    ).toMatch(/not declared/);
  });

  it('leaves routes outside the contract alone (unknown routes, /docs, HEAD)', () => {
    expect(
      contractViolation({
        method: 'GET',
        url: '/v1/nothing-here',
        statusCode: 404,
        contentType: PROBLEM_JSON,
        body: '{}',
      }),
    ).toBeNull();
    expect(
      contractViolation({
        method: 'GET',
        url: '/docs/static/index.html',
        statusCode: 200,
        contentType: 'text/html',
        body: '<html>',
      }),
    ).toBeNull();
    expect(
      contractViolation({ method: 'HEAD', url: wardUrl, statusCode: 200, contentType: 'application/json', body: '' }),
    ).toBeNull();
  });
});
