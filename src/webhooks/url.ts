import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Addresses a webhook must never reach: private, loopback, link-local, metadata, multicast. */
const INTERNAL = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv6');
}
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

export interface WebhookUrlPolicy {
  /** Tests only: allow plain http to a loopback address. */
  allowHttpLoopback: boolean;
}

function classify(raw: string): 'loopback' | 'internal' | 'public' {
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is judged as the IPv4 address it carries.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(raw);
  const address = mapped?.[1] ?? raw;
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (LOOPBACK.check(address, family)) return 'loopback';
  return INTERNAL.check(address, family) ? 'internal' : 'public';
}

/** Why the URL may not be used as a webhook, or null when it may. Checks the syntax only. */
export function webhookUrlProblem(raw: string, policy: WebhookUrlPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not contain credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host) ? classify(host) : host === 'localhost' ? 'loopback' : null;
  if (url.protocol === 'http:') {
    if (policy.allowHttpLoopback && literal === 'loopback') return null;
    return 'must use https';
  }
  if (url.protocol !== 'https:') return 'must use https';
  if (literal === 'loopback' && policy.allowHttpLoopback) return null;
  if (literal === 'loopback' || literal === 'internal') return 'must not point at an internal address';
  return null;
}

/**
 * Resolves the host at delivery time and refuses internal addresses, so a DNS name that
 * later points inside the network is still refused.
 */
export async function assertDeliverable(raw: string, policy: WebhookUrlPolicy): Promise<void> {
  const problem = webhookUrlProblem(raw, policy);
  if (problem) throw new Error(`webhook URL ${problem}`);
  const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  for (const address of addresses) {
    const kind = classify(address);
    if (kind === 'public') continue;
    if (kind === 'loopback' && policy.allowHttpLoopback) continue;
    throw new Error('webhook host resolves to an internal address');
  }
}
