import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { App } from '../../src/app.js';
import { PLATFORM_TOKEN } from './context.js';

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * A response body as a test reads it: parsed JSON with no declared type, like `response.json()`.
 * Tests assert on its fields directly; each route's schema is checked against the OpenAPI
 * document elsewhere (test/helpers/contract.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped JSON on purpose, see above
export type UntypedJson = any;

let counter = 0;
const unique = () => `${Date.now().toString(36).slice(-4)}${(counter++).toString(36)}`.toUpperCase();

export interface ApiResponse<T = UntypedJson> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
  /** The body exactly as sent, for checks that something never appears in it. */
  raw: string;
}

export interface CallOptions {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE' | 'HEAD' | 'OPTIONS';
  url: string;
  /** Bearer token; omitted means no Authorization header. */
  token?: string | undefined;
  /** JSON payload (objects are serialised); a string is sent as is. */
  payload?: unknown;
  headers?: Record<string, string>;
}

/** Any request, as a client would send it; the body is parsed as JSON when it is JSON. */
export async function call<T = UntypedJson>(app: App, options: CallOptions): Promise<ApiResponse<T>> {
  const response = await app.inject({
    method: options.method,
    url: options.url,
    headers: { ...(options.token === undefined ? {} : bearer(options.token)), ...options.headers },
    ...(options.payload === undefined ? {} : { payload: options.payload as object | string }),
  });
  const contentType = String(response.headers['content-type'] ?? '');
  const body = /json/.test(contentType) && response.body ? response.json<T>() : (response.body as T);
  return { status: response.statusCode, body, headers: response.headers, raw: response.body };
}

export const post = <T = UntypedJson>(
  app: App,
  url: string,
  token: string,
  payload: unknown,
  headers: Record<string, string> = {},
) => call<T>(app, { method: 'POST', url, token, payload, headers });

export const get = <T = UntypedJson>(app: App, url: string, token: string) =>
  call<T>(app, { method: 'GET', url, token });

export const patch = <T = UntypedJson>(app: App, url: string, token: string, payload: unknown) =>
  call<T>(app, { method: 'PATCH', url, token, payload });

export const put = <T = UntypedJson>(app: App, url: string, token: string, payload: unknown) =>
  call<T>(app, { method: 'PUT', url, token, payload });

export const del = <T = UntypedJson>(app: App, url: string, token: string) =>
  call<T>(app, { method: 'DELETE', url, token });

/**
 * The answer is an RFC 9457 problem document with the given status, carrying the request id,
 * and gives nothing of the server's internals away (no stack trace, no SQL).
 */
export function expectProblem(response: ApiResponse, status: number) {
  expect(response.status, response.raw).toBe(status);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = response.body as Record<string, unknown>;
  expect(body).toMatchObject({
    type: expect.stringMatching(/^https?:\/\//),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    requestId: response.headers['x-request-id'],
  });
  expect(body.requestId).toEqual(expect.any(String));
  expect(response.raw).not.toMatch(/\n\s+at |\.ts:\d+|node_modules|\bstack\b/);
  expect(response.raw).not.toMatch(
    /\b(select|insert into|update .* set|delete from)\b|violates|constraint|relation "|SQLSTATE|pg_/i,
  );
  return body as {
    type: string;
    title: string;
    status: number;
    detail: string;
    errors?: { path: string; message: string }[];
    [key: string]: unknown;
  };
}

async function created<T = UntypedJson>(app: App, url: string, token: string, payload: unknown): Promise<T> {
  const response = await post<T>(app, url, token, payload);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

/** The fields of an item answer that the briefing tests compare. */
export interface ItemAnswer {
  id: string;
  briefingId: string;
  wardId: string;
  raisedOn: string;
  kind: string;
  category: string;
  riskBand: string | null;
  status: string;
}

export interface Organisation {
  id: string;
  code: string;
  adminToken: string;
  wards: { id: string; code: string; deviceToken: string }[];
  clinician: { id: string; token: string };
  middleManager: { id: string; token: string };
  seniorManager: { id: string; token: string };
  governance: { id: string; token: string };
}

/**
 * An organisation with two wards (each with a device token), a clinician on the first ward,
 * managers and a governance reader, each with a token.
 */
export async function createOrganisation(app: App): Promise<Organisation> {
  // Ends in a digit: names made with the code (staff) can never read as a postcode.
  const code = `T${unique()}9`.slice(0, 12);
  const org = await created(app, '/v1/organisations', PLATFORM_TOKEN, { name: `Trust ${code}`, code });
  const admin: string = org.adminToken;
  const wards = [];
  for (const wardCode of ['W1', 'W2']) {
    const ward = await created(app, '/v1/wards', admin, {
      code: wardCode,
      name: `Ward ${wardCode}`,
      division: 'Medicine',
    });
    const device = await created(app, '/v1/tokens', admin, { wardId: ward.id, label: `${wardCode} tablet` });
    wards.push({ id: ward.id as string, code: wardCode, deviceToken: device.token as string });
  }
  const person = async (role: string, wardIds: string[]) => {
    const member = await created(app, '/v1/staff', admin, {
      name: `${role} ${code}`,
      email: `${role}.${code.toLowerCase()}@example.nhs.uk`,
      role,
      wardIds,
    });
    const token = await created(app, '/v1/tokens', admin, { staffId: member.id });
    return { id: member.id as string, token: token.token as string };
  };
  return {
    id: org.id,
    code,
    adminToken: admin,
    wards,
    clinician: await person('clinician', [wards[0]!.id]),
    middleManager: await person('middle_manager', [wards[0]!.id]),
    seniorManager: await person('senior_manager', []),
    governance: await person('governance', []),
  };
}

export function briefingBody(wardId: string, overrides: Record<string, unknown> = {}) {
  return {
    wardId,
    date: '2026-11-02',
    shift: 'day',
    facilitator: 'Charge nurse',
    attendance: { nursing: 6, medical: 2, allied: 1, manager: 1, other: 0 },
    durationMinutes: 12,
    items: [
      {
        kind: 'problem',
        category: 'equipment',
        description: 'Infusion pump in bay 3 alarming intermittently',
        consequence: 4,
        likelihood: 3,
        harm: 'none',
        resolvedAtBriefing: false,
        needsChange: true,
      },
      { kind: 'good_practice', category: 'communication', description: 'Handover checklist used on every shift' },
    ],
    ...overrides,
  };
}

export const newKey = () => randomUUID();
