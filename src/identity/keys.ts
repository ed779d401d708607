import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import type { OidcSettings } from '../config.js';
import { resolveDeliverable, webhookUrlProblem, type ResolveHost } from '../webhooks/url.js';

/**
 * An identity provider's published keys, reached safely. The issuer URL is set by an
 * administrator and the service fetches from it, so every URL (the discovery document's and
 * the key set's) follows the webhook rule: https, and a host that is neither an internal nor a
 * special-purpose address (loopback only where OIDC_ALLOW_HTTP_LOOPBACK allows it, for tests).
 * Each host is resolved once and the connection goes to the checked address; redirects are not
 * followed; answers are capped in size and time.
 */

const MAX_DOCUMENT_BYTES = 512 * 1024;
/** The discovery document names the key set's URL, which changes rarely; keys are cached by jose. */
const DISCOVERY_MAX_AGE_MS = 60 * 60 * 1000;
/** Keys are reloaded at least this often even when every key id is known. */
const JWKS_MAX_AGE_MS = 10 * 60 * 1000;

export type IssuerUrlPolicy = Pick<OidcSettings, 'allowHttpLoopback'>;

/** Why `issuer` cannot be used as an issuer, or null when it can (checks the URL alone). */
export function issuerProblem(issuer: string, policy: IssuerUrlPolicy): string | null {
  const problem = webhookUrlProblem(issuer, policy);
  if (problem) return problem;
  const url = new URL(issuer);
  if (url.search || url.hash) return 'must not have a query or fragment';
  return null;
}

/** GET with the checks above; answers a fetch Response, as jose's key set expects. */
export async function screenedGet(raw: string, settings: OidcSettings, resolve?: ResolveHost): Promise<Response> {
  const { url, host, address, family } = await resolveDeliverable(
    raw,
    { allowHttpLoopback: settings.allowHttpLoopback },
    resolve,
  );
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((done, fail) => {
    const request = send(
      url,
      {
        method: 'GET',
        headers: { accept: 'application/json, application/jwk-set+json' },
        lookup: pinned,
        agent: false,
        signal: AbortSignal.timeout(settings.fetchTimeoutMs),
        ...(isIP(host) ? {} : { servername: host }),
      },
      (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_DOCUMENT_BYTES) response.destroy(new Error('identity provider answer too large'));
          else chunks.push(chunk);
        });
        response.on('error', fail);
        response.on('end', () => done(new Response(Buffer.concat(chunks), { status: response.statusCode ?? 502 })));
      },
    );
    request.on('error', fail);
    request.end();
  });
}

interface Discovered {
  jwksUri: string;
  fetchedAt: number;
}

/** Discovery documents and key sets, cached per issuer, shared by every request of the process. */
export class ProviderKeys {
  private readonly discovered = new Map<string, Discovered>();
  private readonly keySets = new Map<string, JWTVerifyGetKey>();

  constructor(private readonly settings: OidcSettings) {}

  /**
   * Reads `${issuer}/.well-known/openid-configuration` and checks that it names the same issuer.
   * When a refresh fails, the key set's URL read before goes on being used, so a provider's
   * brief outage does not sign everybody out while its keys are still cached.
   */
  async discover(issuer: string): Promise<string> {
    const cached = this.discovered.get(issuer);
    if (cached && Date.now() - cached.fetchedAt < DISCOVERY_MAX_AGE_MS) return cached.jwksUri;
    try {
      return await this.fetchDiscovery(issuer);
    } catch (error) {
      if (cached) return cached.jwksUri;
      throw error;
    }
  }

  private async fetchDiscovery(issuer: string): Promise<string> {
    const response = await screenedGet(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, this.settings);
    if (response.status !== 200) throw new Error(`discovery answered ${response.status}`);
    const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (document.issuer !== issuer) throw new Error('discovery names another issuer');
    if (typeof document.jwks_uri !== 'string') throw new Error('discovery names no jwks_uri');
    const problem = issuerProblem(document.jwks_uri, this.settings);
    if (problem) throw new Error(`jwks_uri ${problem}`);
    this.discovered.set(issuer, { jwksUri: document.jwks_uri, fetchedAt: Date.now() });
    return document.jwks_uri;
  }

  /**
   * The issuer's key set: jose fetches it, keeps it for 10 minutes, and refetches it once when a
   * token names a key id it does not hold, at most once per OIDC_JWKS_COOLDOWN_SECONDS (so
   * tokens with made-up key ids cannot make the service hammer the provider).
   */
  async keysOf(issuer: string): Promise<JWTVerifyGetKey> {
    const jwksUri = await this.discover(issuer);
    let keys = this.keySets.get(jwksUri);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(jwksUri), {
        cooldownDuration: this.settings.jwksCooldownSeconds * 1000,
        cacheMaxAge: JWKS_MAX_AGE_MS,
        timeoutDuration: this.settings.fetchTimeoutMs,
        [customFetch]: (url: string) => screenedGet(url, this.settings),
      });
      this.keySets.set(jwksUri, keys);
    }
    return keys;
  }
}
