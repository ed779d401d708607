/**
 * A real OpenID Connect provider (`oidc-provider`, certified by the OpenID Foundation) on a
 * loopback port, and a client that signs people in through it.
 *
 * How a person's tokens are obtained: the authorization code flow with PKCE, driven over HTTP
 * as a browser would (following redirects and keeping cookies). The provider's own login pages
 * are switched off; its interaction URL is answered by a small handler here that logs in the
 * account the test chose and grants the requested scopes, through the provider's own
 * `interactionResult` and `Grant` API. The code is then exchanged at the token endpoint, and the
 * provider's ID token (RS256, signed with the provider's key, claims from `findAccount`) is what
 * the service is given. `conformIdTokenClaims: false` puts the scope's claims (email, staff
 * number) in the ID token itself. With a `resource` (resource indicators) the same flow gives a
 * JWT access token for that resource, with the person's claims added by `extraTokenClaims`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';

export interface Account {
  email: string;
  email_verified?: boolean;
  staff_number?: string;
}

export const REDIRECT_URI = 'http://127.0.0.1:1/callback';

export interface TestProvider {
  issuer: string;
  /** Requests for the key set since the provider (re)started, counted by the server. */
  jwksRequests(): number;
  /** Signs `accountId` in through `clientId` and answers the provider's ID token. */
  idToken(clientId: string, accountId: string): Promise<string>;
  /** Signs `accountId` in through `clientId` for the resource server `resource`: the JWT access token. */
  accessToken(clientId: string, accountId: string, resource: string): Promise<string>;
  /** The provider's current signing key (private), for tests that forge tokens beside it. */
  signingKey: JWK;
  /** Stops and starts the provider on the same port with a new signing key (key rotation). */
  rotateKeys(): Promise<void>;
  close(): Promise<void>;
}

export interface ProviderOptions {
  clients: string[];
  accounts: Record<string, Account>;
  /** ID token lifetime in seconds (default an hour). */
  idTokenTtl?: () => number;
}

async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: `key-${randomBytes(4).toString('hex')}`, alg: 'RS256', use: 'sig' };
}

function buildProvider(issuer: string, key: JWK, options: ProviderOptions) {
  const provider = new Provider(issuer, {
    clients: options.clients.map((clientId) => ({
      client_id: clientId,
      client_secret: `${clientId}-secret`,
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    })),
    jwks: { keys: [key] },
    cookies: { keys: ['test-cookie-key-0123456789'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], staff: ['staff_number'] },
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      // Access tokens for this service as a resource server: JWTs whose audience is the resource,
      // carrying the person's claims as a trust's provider is configured to add them.
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo: (_ctx, resource) => ({
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          scope: 'email staff',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    extraTokenClaims: (_ctx, token) => {
      const account = 'accountId' in token && token.accountId ? options.accounts[token.accountId] : undefined;
      return account ? { ...account } : undefined;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: {
      IdToken: () => options.idTokenTtl?.() ?? 3600,
      AccessToken: 3600,
      AuthorizationCode: 60,
      Interaction: 600,
      Grant: 3600,
      Session: 3600,
    },
    findAccount: (_ctx, id) => {
      const account = options.accounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: () => ({ sub: id, ...account }) };
    },
  });
  // The interaction: log in the account the authorization request named (login_hint) and grant its scopes.
  provider.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/interaction/')) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const accountId = String(details.params.login_hint);
    const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    if (typeof details.params.resource === 'string') grant.addResourceScope(details.params.resource, 'email staff');
    const grantId = await grant.save();
    const to = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId }, consent: { grantId } });
    ctx.status = 303;
    ctx.redirect(to);
  });
  return provider;
}

/** Follows redirects as a browser would, keeping cookies, until one reaches the redirect URI. */
async function authorizationCode(
  issuer: string,
  clientId: string,
  accountId: string,
  verifier: string,
  resource: string | undefined,
) {
  const cookies = new Map<string, string>();
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const query = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid email staff',
    redirect_uri: REDIRECT_URI,
    login_hint: accountId,
    nonce: randomBytes(8).toString('hex'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(resource ? { resource } : {}),
  });
  let url = `${issuer}/auth?${query.toString()}`;
  for (let hop = 0; hop < 10; hop++) {
    const response = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    const location = response.headers.get('location');
    if (!location) throw new Error(`the provider stopped at ${url}: ${response.status} ${await response.text()}`);
    url = new URL(location, url).href;
    if (url.startsWith(REDIRECT_URI)) {
      const code = new URL(url).searchParams.get('code');
      if (!code) throw new Error(`no code: ${url}`);
      return code;
    }
  }
  throw new Error('too many redirects');
}

async function exchange(issuer: string, clientId: string, code: string, verifier: string, resource?: string) {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${clientId}-secret`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      ...(resource ? { resource } : {}),
    }),
  });
  const body = (await response.json()) as { id_token?: string; access_token?: string };
  if (!body.id_token || !body.access_token) throw new Error(`no tokens: ${JSON.stringify(body)}`);
  return { idToken: body.id_token, accessToken: body.access_token };
}

function listen(server: Server, port: number) {
  return new Promise<number>((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

export async function startProvider(options: ProviderOptions): Promise<TestProvider> {
  let jwksHits = 0;
  let key = await newSigningKey();
  let provider: Provider;
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/jwks')) jwksHits++;
    void provider.callback()(req, res);
  });
  const port = await listen(server, 0);
  const issuer = `http://127.0.0.1:${port}`;
  provider = buildProvider(issuer, key, options);
  const result: TestProvider = {
    issuer,
    jwksRequests: () => jwksHits,
    signingKey: key,
    idToken: async (clientId, accountId) => {
      const verifier = randomBytes(32).toString('base64url');
      const code = await authorizationCode(issuer, clientId, accountId, verifier, undefined);
      return (await exchange(issuer, clientId, code, verifier)).idToken;
    },
    accessToken: async (clientId, accountId, resource) => {
      const verifier = randomBytes(32).toString('base64url');
      const code = await authorizationCode(issuer, clientId, accountId, verifier, resource);
      return (await exchange(issuer, clientId, code, verifier, resource)).accessToken;
    },
    rotateKeys: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      key = await newSigningKey();
      provider = buildProvider(issuer, key, options);
      result.signingKey = key;
      jwksHits = 0;
      await listen(server, port);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return result;
}
