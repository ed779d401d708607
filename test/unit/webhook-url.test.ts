import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postToTarget } from '../../src/webhooks/deliver.js';
import { resolveDeliverable, webhookUrlProblem, type ResolveHost } from '../../src/webhooks/url.js';

/** Delivery with a resolver that must not be reached (IP literals need no DNS). */
const assertDeliverable = async (url: string, policy: { allowHttpLoopback: boolean }) => {
  await resolveDeliverable(url, policy, async () => {
    throw new Error('no DNS lookup expected');
  });
};

const strict = { allowHttpLoopback: false };
const loopbackAllowed = { allowHttpLoopback: true };
const INTERNAL = 'must not point at an internal address';

describe('webhookUrlProblem', () => {
  it('accepts a public https URL', () => {
    expect(webhookUrlProblem('https://hooks.example.com/briefings', strict)).toBeNull();
    expect(webhookUrlProblem('https://[2606:4700::1111]/hook', strict)).toBeNull();
  });

  // Regression: with ::ffff:0:0/96 (IPv4-mapped) in the IPv6 block list, node:net BlockList
  // matched every IPv4 address against it, so every IPv4 address was "internal".
  it.each(['https://8.8.8.8:8443/hook', 'https://1.1.1.1/hook', 'https://93.184.215.14/'])(
    'accepts the public IPv4 address %s',
    (url) => {
      expect(webhookUrlProblem(url, strict)).toBeNull();
    },
  );

  // The same classification runs at delivery time on the addresses a host name resolves to, so
  // that bug refused delivery to every IPv4 host. (IP literals: no DNS lookup, no I/O.)
  it('lets delivery go to a public IPv4 address', async () => {
    await expect(assertDeliverable('https://8.8.8.8/hook', strict)).resolves.toBeUndefined();
  });

  it('refuses delivery to internal addresses', async () => {
    await expect(assertDeliverable('https://10.0.0.5/hook', strict)).rejects.toThrow(/internal address/);
    await expect(assertDeliverable('https://[::1]/hook', strict)).rejects.toThrow(/internal address/);
  });

  it('requires https', () => {
    expect(webhookUrlProblem('http://example.com/hook', strict)).toBe('must use https');
    expect(webhookUrlProblem('http://example.com/hook', loopbackAllowed)).toBe('must use https');
    expect(webhookUrlProblem('ftp://example.com/hook', strict)).toBe('must use https');
  });

  it('refuses malformed URLs and URLs with credentials', () => {
    expect(webhookUrlProblem('not a url', strict)).toBe('must be an absolute URL');
    expect(webhookUrlProblem('/relative/hook', strict)).toBe('must be an absolute URL');
    expect(webhookUrlProblem('https://user:secret@example.com/hook', strict)).toBe('must not contain credentials');
  });

  it.each([
    'https://10.0.0.5/hook',
    'https://169.254.169.254/',
    'https://172.16.4.2/',
    'https://192.168.1.1/',
    'https://100.64.0.1/',
    'https://0.0.0.0/',
    'https://224.0.0.1/',
    'https://[fd00::1]/',
    'https://[fe80::1]/',
    'https://[::ffff:10.0.0.5]/',
    'https://[::ffff:a9fe:a9fe]/', // 169.254.169.254, IPv4-mapped, as the URL parser writes it
    // Spellings the URL parser turns into 127.0.0.1 / 10.0.0.5:
    'https://127.1/',
    'https://0x7f000001/',
    'https://2130706433/',
    'https://012.0.0.5/',
    // Special-purpose ranges beyond the private ones (ipaddr.js names each; only unicast passes):
    'https://[::127.0.0.1]/', // IPv4-compatible (::/96) loopback
    'https://[64:ff9b::7f00:1]/', // NAT64 (RFC 6052) of 127.0.0.1
    'https://[2002:7f00:1::]/', // 6to4 of 127.0.0.1
    'https://[fec0::1]/', // site-local (deprecated)
    'https://[2001::1]/', // Teredo
    'https://[2001:db8::1]/', // documentation
    'https://[::ffff:127.0.0.1]/', // IPv4-mapped loopback
    'https://203.0.113.10/', // documentation (TEST-NET-3)
    'https://198.18.0.1/', // benchmarking
    'https://192.0.0.8/', // IETF protocol assignments
    'https://240.0.0.1/', // reserved
    'https://255.255.255.255/',
  ])('refuses the internal address %s', (url) => {
    expect(webhookUrlProblem(url, strict)).toBe(INTERNAL);
  });

  it('refuses loopback unless the test override allows it', () => {
    for (const url of ['https://localhost/', 'https://127.0.0.1/hook', 'https://[::1]/hook']) {
      expect(webhookUrlProblem(url, strict), url).toBe(INTERNAL);
      expect(webhookUrlProblem(url, loopbackAllowed), url).toBeNull();
    }
    expect(webhookUrlProblem('http://127.0.0.1:8080/hook', strict)).toBe('must use https');
    expect(webhookUrlProblem('http://127.0.0.1:8080/hook', loopbackAllowed)).toBeNull();
    expect(webhookUrlProblem('http://localhost:8080/hook', loopbackAllowed)).toBeNull();
    // The override is for loopback only: other internal addresses stay refused.
    expect(webhookUrlProblem('https://10.0.0.5/hook', loopbackAllowed)).toBe(INTERNAL);
    expect(webhookUrlProblem('http://10.0.0.5/hook', loopbackAllowed)).toBe('must use https');
  });
});

// The addresses a security review found accepted, as literals and as what a name resolves to.
const FOUND_ACCEPTED = ['::127.0.0.1', '64:ff9b::7f00:1', '2002:7f00:1::', 'fec0::1'];

describe('special-purpose IPv6 addresses found accepted', () => {
  it.each(FOUND_ACCEPTED)('refuses [%s] when the webhook is set', (address) => {
    for (const policy of [strict, loopbackAllowed]) {
      expect(webhookUrlProblem(`https://[${address}]/hook`, policy)).toBe(INTERNAL);
      expect(webhookUrlProblem(`http://[${address}]/hook`, policy)).toBe('must use https');
    }
  });

  it.each(FOUND_ACCEPTED)('refuses [%s] at delivery, as a literal or as a name resolving to it', async (address) => {
    for (const policy of [strict, loopbackAllowed]) {
      await expect(assertDeliverable(`https://[${address}]/hook`, policy)).rejects.toThrow(/internal address/);
      const resolve: ResolveHost = async () => ['93.184.215.14', address];
      await expect(resolveDeliverable('https://hooks.example.com/hook', policy, resolve)).rejects.toThrow(
        'webhook host resolves to an internal address',
      );
    }
  });

  it('lets a name through only when every address it resolves to is public unicast', async () => {
    const target = await resolveDeliverable('https://hooks.example.com/hook', strict, async () => [
      '93.184.215.14',
      '2606:4700::1111',
    ]);
    expect(target).toMatchObject({ host: 'hooks.example.com', address: '93.184.215.14', family: 4 });
    await expect(
      resolveDeliverable('https://hooks.example.com/hook', strict, async () => ['127.0.0.1']),
    ).rejects.toThrow(/internal/);
    await expect(resolveDeliverable('https://hooks.example.com/hook', strict, async () => [])).rejects.toThrow(
      /no address/,
    );
  });
});

describe('WEBHOOK_ALLOW_HTTP_LOOPBACK', () => {
  it('allows loopback receivers (127.0.0.0/8, ::1, localhost) over http or https, and nothing else', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://127.0.0.2/hook',
      'https://[::1]/hook',
      'http://localhost:8080/hook',
    ]) {
      expect(webhookUrlProblem(url, loopbackAllowed), url).toBeNull();
    }
    for (const url of [
      'http://[::ffff:127.0.0.1]/',
      'http://[::127.0.0.1]/',
      'http://10.0.0.5/',
      'http://hooks.example.com/',
    ]) {
      expect(webhookUrlProblem(url, loopbackAllowed), url).toBe('must use https');
    }
    // localhost is allowed by name, so at delivery it must resolve to loopback.
    await expect(
      resolveDeliverable('http://localhost/hook', loopbackAllowed, async () => ['10.0.0.5']),
    ).rejects.toThrow(/internal/);
    await expect(
      resolveDeliverable('http://localhost/hook', loopbackAllowed, async () => ['::1']),
    ).resolves.toMatchObject({ address: '::1', family: 6 });
  });
});

describe('delivery connects to the address that was checked', () => {
  const servers: Server[] = [];
  const hits = { checked: [] as string[], other: [] as string[] };
  let port = 0;

  beforeAll(async () => {
    // Two receivers on one port: 127.0.0.1 (the address the check saw) and 127.0.0.2 (where a
    // second DNS answer would point).
    const listen = (host: string, into: string[], onPort: number) =>
      new Promise<Server>((resolve) => {
        const server = createServer((request, response) => {
          into.push(String(request.headers.host));
          request.resume();
          response.writeHead(204).end();
        });
        server.listen(onPort, host, () => resolve(server));
      });
    const first = await listen('127.0.0.1', hits.checked, 0);
    port = (first.address() as AddressInfo).port;
    servers.push(first, await listen('127.0.0.2', hits.other, port));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('even when a second lookup would answer differently', async () => {
    const answers = [['127.0.0.1'], ['127.0.0.2']];
    let lookups = 0;
    const resolve: ResolveHost = async () => answers[Math.min(lookups++, 1)]!;
    const target = await resolveDeliverable(`http://localhost:${port}/hook`, loopbackAllowed, resolve);
    expect(target.address).toBe('127.0.0.1');
    // Were the request to look the name up again, it would go to 127.0.0.2.
    expect(await resolve('localhost')).toEqual(['127.0.0.2']);

    const status = await postToTarget(target, { 'content-type': 'application/json' }, '{}', 5_000);
    expect(status).toBe(204);
    expect(hits.checked).toEqual([`localhost:${port}`]); // the Host header keeps the name
    expect(hits.other).toEqual([]);
    expect(lookups).toBe(2); // the check's lookup and the test's own: the request made none
  });
});
