/**
 * Sign-in with an organisation's OpenID Connect provider, against a real provider
 * (`oidc-provider`) started on a loopback port by this file (test/helpers/oidc-provider.ts: the
 * authorization code flow with PKCE, driven over HTTP; the provider's own ID tokens are the
 * bearer tokens). Two trusts share the provider's issuer, as trusts share NHS CIS2, and are told
 * apart by audience (their client ids); the first names staff by email, the second by a staff
 * number. A JWT access token (resource indicators, audience the service's resource) is tested too. Forged tokens appear only where the refusal is about the forgery (alg none, HMAC with
 * the provider's public key, a bad signature, an unknown key id), made with jose from the
 * claims of a real token.
 */
import { createPublicKey } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { eq } from 'drizzle-orm';
import { apiTokens } from '../../src/db/schema.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORM_TOKEN, type TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import {
  briefingBody,
  call,
  createOrganisation,
  expectProblem,
  get,
  newKey,
  post,
  type Organisation,
} from '../helpers/fixtures.js';
import { startProvider, type Account, type TestProvider } from '../helpers/oidc-provider.js';

let ctx: TestContext;
let a: Organisation;
let b: Organisation;
let idp: TestProvider;
let otherIdp: TestProvider;
let shortLived = false;
const accounts: Record<string, Account> = {};

const emailOf = (role: string, org: Organisation) => `${role}.${org.code.toLowerCase()}@example.nhs.uk`;
const put = (url: string, token: string, payload: unknown) => call(ctx.app, { method: 'PUT', url, token, payload });

beforeAll(async () => {
  ({
    ctx,
    org: a,
    other: b,
  } = await startApiTest({
    organisations: 2,
    env: { OIDC_ALLOW_HTTP_LOOPBACK: 'true', OIDC_JWKS_COOLDOWN_SECONDS: '2' },
  }));
  Object.assign(accounts, {
    'a-clinician': { email: emailOf('clinician', a).toUpperCase(), email_verified: true },
    'a-governance': { email: emailOf('governance', a) },
    'a-unverified': { email: emailOf('senior_manager', a), email_verified: false },
    'b-manager': { email: emailOf('middle_manager', a), staff_number: 'SN-0042' },
    stranger: { email: 'nobody@example.nhs.uk', staff_number: 'SN-9999' },
  });
  const options = {
    clients: ['trust-a', 'trust-b', 'unconfigured'],
    accounts,
    idTokenTtl: () => (shortLived ? 1 : 3600),
  };
  idp = await startProvider(options);
  otherIdp = await startProvider(options);
  const setA = await put(`/v1/organisations/${a.id}/identity-provider`, PLATFORM_TOKEN, {
    issuer: idp.issuer,
    audience: 'trust-a',
    claim: 'email',
  });
  expect(setA.status, setA.raw).toBe(200);
  const setB = await put(`/v1/organisations/${b.id}/identity-provider`, PLATFORM_TOKEN, {
    issuer: idp.issuer,
    audience: 'trust-b',
    claim: 'staff_number',
  });
  expect(setB.status, setB.raw).toBe(200);
  const number = await put(`/v1/staff/${b.middleManager.id}/external-id`, b.adminToken, { externalId: 'SN-0042' });
  expect(number.status, number.raw).toBe(200);
});
afterAll(async () => {
  await idp?.close();
  await otherIdp?.close();
  await ctx?.close();
});

describe('configuring the identity provider', () => {
  it('is for the platform administrator; the org admin reads it; an issuer and audience belong to one trust', async () => {
    const mine = await get(ctx.app, '/v1/organisation/identity-provider', a.adminToken);
    expect(mine.status, mine.raw).toBe(200);
    expect(mine.body).toMatchObject({ organisationId: a.id, issuer: idp.issuer, audience: 'trust-a', claim: 'email' });
    const asAdmin = await put(`/v1/organisations/${a.id}/identity-provider`, a.adminToken, {
      issuer: idp.issuer,
      audience: 'trust-a',
      claim: 'email',
    });
    expectProblem(asAdmin, 403);
    const squat = await put(`/v1/organisations/${b.id}/identity-provider`, PLATFORM_TOKEN, {
      issuer: idp.issuer,
      audience: 'trust-a',
      claim: 'email',
    });
    expectProblem(squat, 409);
    const still = await get(ctx.app, `/v1/organisations/${b.id}/identity-provider`, PLATFORM_TOKEN);
    expect(still.body).toMatchObject({ audience: 'trust-b', claim: 'staff_number' });
  });

  it('refuses issuers that are not https, point inside the network, or publish no usable discovery document', async () => {
    for (const issuer of [
      'http://login.trust.example',
      'https://10.1.2.3/realms/staff',
      'https://169.254.169.254',
      'not a url',
    ]) {
      const res = await put(`/v1/organisations/${b.id}/identity-provider`, PLATFORM_TOKEN, {
        issuer,
        audience: 'x',
        claim: 'email',
      });
      expect(expectProblem(res, 400).errors?.[0]?.path, issuer).toBe('body.issuer');
    }
    const wrongIssuer = await put(`/v1/organisations/${b.id}/identity-provider`, PLATFORM_TOKEN, {
      issuer: `${idp.issuer}/elsewhere`,
      audience: 'x',
      claim: 'email',
    });
    expectProblem(wrongIssuer, 422);
    const unknownOrganisation = await put(`/v1/organisations/${newKey()}/identity-provider`, PLATFORM_TOKEN, {
      issuer: idp.issuer,
      audience: 'y',
      claim: 'email',
    });
    expectProblem(unknownOrganisation, 404);
  });
});

describe('signing in with the provider', () => {
  it("accepts the provider's ID token as the bearer token; the staff record's role and wards decide the rest", async () => {
    const token = await idp.idToken('trust-a', 'a-clinician');
    expect(token.length).toBeGreaterThan(512);
    const wards = await get(ctx.app, '/v1/wards', token);
    expect(wards.status, wards.raw).toBe(200);
    expect(wards.body.data.map((w: { id: string }) => w.id)).toEqual([a.wards[0]!.id]);
    const briefing = await post(ctx.app, '/v1/briefings', token, briefingBody(a.wards[0]!.id, { date: '2026-11-03' }), {
      'idempotency-key': newKey(),
    });
    expect(briefing.status, briefing.raw).toBe(201);
    expectProblem(await post(ctx.app, '/v1/wards', token, { code: 'ZZ', name: 'Not mine' }), 403);
    const rows = await ctx.database.db.select().from(apiTokens).where(eq(apiTokens.kind, 'identity_provider'));
    expect(rows).toEqual([expect.objectContaining({ staffId: a.clinician.id, organisationId: a.id, expiresAt: null })]);
    expect(rows[0]!.lastUsedAt).not.toBeNull();
    const listed = await get(ctx.app, '/v1/tokens', a.adminToken);
    expect(listed.body.data.map((t: { kind: string }) => t.kind)).not.toContain('identity_provider');
  });

  it('tells trusts that share an issuer apart by audience, each mapping its own claim', async () => {
    const forB = await idp.idToken('trust-b', 'b-manager');
    const inbox = await get(ctx.app, '/v1/inbox', forB);
    expect(inbox.status, inbox.raw).toBe(200);
    const org = await get(ctx.app, '/v1/organisation', forB);
    expect(org.body.id).toBe(b.id);
    // The same person through trust A's client is trust A's staff member of that email.
    const forA = await idp.idToken('trust-a', 'b-manager');
    expect((await get(ctx.app, '/v1/organisation', forA)).body.id).toBe(a.id);
  });

  it("accepts the provider's JWT access token for this service, whose audience is the service's resource", async () => {
    const resource = 'https://briefings.test/api';
    const token = await idp.accessToken('trust-a', 'a-clinician', resource);
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    expect(decodeJwt(token)).toMatchObject({ aud: resource, iss: idp.issuer });
    // Trust A's configuration names its client as the audience: the access token is not for it.
    expectProblem(await get(ctx.app, '/v1/wards', token), 401);
    const c = await createOrganisation(ctx.app);
    const set = await put(`/v1/organisations/${c.id}/identity-provider`, PLATFORM_TOKEN, {
      issuer: idp.issuer,
      audience: resource,
      claim: 'email',
    });
    expect(set.status, set.raw).toBe(200);
    accounts['c-clinician'] = { email: emailOf('clinician', c) };
    const forC = await idp.accessToken('trust-a', 'c-clinician', resource);
    const wards = await get(ctx.app, '/v1/wards', forC);
    expect(wards.status, wards.raw).toBe(200);
    expect(wards.body.data.map((w: { id: string }) => w.id)).toEqual([c.wards[0]!.id]);
  });

  it('opaque API tokens and ward device tokens work as before', async () => {
    expect((await get(ctx.app, '/v1/wards', a.clinician.token)).status).toBe(200);
    expect((await get(ctx.app, '/v1/wards', a.wards[0]!.deviceToken)).status).toBe(200);
  });
});

describe('refused with 401 and nothing more than "not valid"', () => {
  /** Refused with the same answer whatever the reason; the reason (never the token) is only logged. */
  const refused = async (token: string, reason?: RegExp) => {
    const before = ctx.logLines.length;
    const res = await get(ctx.app, '/v1/wards', token);
    const problem = expectProblem(res, 401);
    expect(problem.detail).toBe('The token is not valid or has been revoked');
    const logged = ctx.logLines.slice(before).join('');
    if (reason) expect(logged).toMatch(reason);
    expect(logged).not.toContain(token);
  };

  it('an expired token', async () => {
    shortLived = true;
    const token = await idp.idToken('trust-a', 'a-clinician').finally(() => (shortLived = false));
    expect((await get(ctx.app, '/v1/wards', token)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 6_500)); // 1 s lifetime + 5 s clock tolerance
    await refused(token, /exp.{0,4} claim timestamp check failed/);
  }, 15_000);

  it('a wrong issuer, a wrong audience, an unknown staff member, an unverified email', async () => {
    await refused(await otherIdp.idToken('trust-a', 'a-clinician'), /no organisation has this issuer and audience/);
    await refused(await idp.idToken('unconfigured', 'a-clinician'), /no organisation has this issuer and audience/);
    await refused(await idp.idToken('trust-a', 'stranger'), /no staff member has this identity/);
    await refused(await idp.idToken('trust-b', 'stranger'), /no staff member has this identity/);
    await refused(await idp.idToken('trust-a', 'a-unverified'), /the email is not verified/);
  });

  it('a bearer token longer than 8 KB, before any verification', async () => {
    const res = await get(ctx.app, '/v1/wards', `eyJ${'a'.repeat(8_200)}.e30.`);
    expect(expectProblem(res, 401).detail).toBe('The Authorization header must be "Bearer <token>"');
  });

  it('an inactive staff member', async () => {
    const token = await idp.idToken('trust-a', 'a-governance');
    expect((await get(ctx.app, '/v1/wards', token)).status).toBe(200);
    const deactivated = await post(ctx.app, `/v1/staff/${a.governance.id}/deactivate`, a.adminToken, {
      reason: 'Left the trust',
    });
    expect(deactivated.status, deactivated.raw).toBe(200);
    await refused(token, /deactivated/);
    await refused(a.governance.token);
    const reactivated = await post(ctx.app, `/v1/staff/${a.governance.id}/reactivate`, a.adminToken, {});
    expect(reactivated.status, reactivated.raw).toBe(200);
    // Sign-in works again at once; the revoked API token stays revoked.
    expect((await get(ctx.app, '/v1/wards', token)).status).toBe(200);
    await refused(a.governance.token);
  });

  it('alg none, HMAC with the provider public key as the secret, a bad signature, an unknown key id', async () => {
    const real = await idp.idToken('trust-a', 'a-clinician');
    const claims = decodeJwt(real);
    const { kid } = decodeProtectedHeader(real);
    await refused(new UnsecuredJWT(claims).encode(), /verification failed/);
    // The provider's public key as it publishes it, in the PEM form a confused verifier would use as an HMAC secret.
    const { n, e } = idp.signingKey;
    const publicPem = createPublicKey({ key: { kty: 'RSA', n: n!, e: e! }, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    await refused(
      await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).sign(new TextEncoder().encode(publicPem)),
      /\(Algorithm\) Header Parameter value not allowed/,
    );
    const { privateKey: stranger } = await generateKeyPair('RS256');
    await refused(
      await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(stranger),
      /signature verification failed/,
    );
    await refused(
      await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'made-up' }).sign(stranger),
      /no applicable key found in the JSON Web Key Set/,
    );
    const [header, , signature] = real.split('.');
    const altered = Buffer.from(JSON.stringify({ ...claims, email: emailOf('org_admin', a) })).toString('base64url');
    await refused(`${header}.${altered}.${signature}`, /signature verification failed/);
    expect((await get(ctx.app, '/v1/wards', real)).status).toBe(200);
  });
});

describe("the provider's keys", () => {
  it('an unknown key id refetches the key set at most once per cool-down; after a key rotation a new token is accepted after one refetch', async () => {
    const claims = decodeJwt(await idp.idToken('trust-a', 'a-clinician'));
    await new Promise((resolve) => setTimeout(resolve, 2_200)); // past the 2 s cool-down
    const before = idp.jwksRequests();
    const { privateKey } = await generateKeyPair('RS256');
    for (let attempt = 0; attempt < 5; attempt++) {
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: `made-up-${attempt}` })
        .sign(privateKey);
      expectProblem(await get(ctx.app, '/v1/wards', forged), 401);
    }
    expect(idp.jwksRequests() - before).toBe(1);

    await idp.rotateKeys();
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    const rotated = await idp.idToken('trust-a', 'a-clinician');
    expect(decodeProtectedHeader(rotated).kid).toBe(idp.signingKey.kid);
    const res = await get(ctx.app, '/v1/wards', rotated);
    expect(res.status, res.raw).toBe(200);
    expect(idp.jwksRequests()).toBe(1);
    expect((await get(ctx.app, '/v1/wards', rotated)).status).toBe(200);
    expect(idp.jwksRequests()).toBe(1);
  }, 20_000);

  it('removing the provider refuses its tokens at once', async () => {
    const token = await idp.idToken('trust-b', 'b-manager');
    expect((await get(ctx.app, '/v1/organisation', token)).status).toBe(200);
    const removed = await call(ctx.app, {
      method: 'DELETE',
      url: `/v1/organisations/${b.id}/identity-provider`,
      token: PLATFORM_TOKEN,
    });
    expect(removed.status, removed.raw).toBe(204);
    expectProblem(await get(ctx.app, '/v1/organisation', token), 401);
    expectProblem(await get(ctx.app, `/v1/organisations/${b.id}/identity-provider`, PLATFORM_TOKEN), 404);
  });
});
