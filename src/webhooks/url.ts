import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface WebhookUrlPolicy {
  /**
   * Tests only: also allow loopback receivers (127.0.0.0/8, ::1 and the name localhost), over
   * http or https. Every other special-purpose address stays refused.
   */
  allowHttpLoopback: boolean;
}

/** Resolves a host name to every address it has (the system resolver; tests inject their own). */
export type ResolveHost = (host: string) => Promise<string[]>;

export const systemResolve: ResolveHost = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * 'public' only for what ipaddr.js calls plain unicast; loopback apart so the test override can
 * allow it; everything else (private, link-local, CGNAT, documentation, multicast, IPv4-mapped,
 * NAT64 / rfc6052, 6to4, Teredo, site-local...) is special-purpose and refused.
 */
function addressKind(address: string): 'loopback' | 'special' | 'public' {
  const parsed = ipaddr.parse(address);
  const range = parsed.range();
  if (range === 'loopback') return 'loopback';
  if (range !== 'unicast') return 'special';
  // ::a.b.c.d (IPv4-compatible, ::/96, deprecated by RFC 4291) carries an IPv4 address that some
  // stacks still reach; ipaddr.js calls it unicast.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0))
    return 'special';
  return 'public';
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');

/** Why the URL may not be used as a webhook, or null when it may. Checks the URL alone (no DNS). */
export function webhookUrlProblem(raw: string, policy: WebhookUrlPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use https';
  const host = hostOf(url);
  const kind = isIP(host) ? addressKind(host) : host === 'localhost' ? 'loopback' : null;
  if (kind === 'loopback' && policy.allowHttpLoopback) return null;
  if (url.protocol === 'http:') return 'must use https';
  if (kind === 'loopback' || kind === 'special') return 'must not point at an internal address';
  return null;
}

/** Where a delivery connects: the URL, and the one address that was checked. */
export interface CheckedTarget {
  url: URL;
  /** The URL's host (a name, or an IP literal without brackets): the Host header and TLS name. */
  host: string;
  address: string;
  family: 4 | 6;
}

/**
 * Checks the URL again at delivery time, resolves its host once and refuses it when any address
 * is special-purpose, so a name that later points inside the network is still refused. The
 * caller connects to `address`, never to a second lookup's answer.
 */
export async function resolveDeliverable(
  raw: string,
  policy: WebhookUrlPolicy,
  resolve: ResolveHost = systemResolve,
): Promise<CheckedTarget> {
  const problem = webhookUrlProblem(raw, policy);
  if (problem) throw new Error(`webhook URL ${problem}`);
  const url = new URL(raw);
  const host = hostOf(url);
  const addresses = isIP(host) ? [host] : await resolve(host);
  if (addresses.length === 0) throw new Error('webhook host has no address');
  for (const address of addresses) {
    if (!isIP(address)) throw new Error('webhook host resolved to something that is not an address');
    const kind = addressKind(address);
    if (kind === 'public') continue;
    if (kind === 'loopback' && policy.allowHttpLoopback) continue;
    throw new Error('webhook host resolves to an internal address');
  }
  const address = addresses[0]!;
  return { url, host, address, family: isIP(address) as 4 | 6 };
}
