import { describe, expect, it } from 'vitest';
import { assertDeliverable, webhookUrlProblem } from '../../src/webhooks/url.js';

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
  it.each(['https://203.0.113.10:8443/hook', 'https://8.8.8.8/hook', 'https://93.184.215.14/'])(
    'accepts the public IPv4 address %s',
    (url) => {
      expect(webhookUrlProblem(url, strict)).toBeNull();
    },
  );

  // The same classification runs at delivery time on the addresses a host name resolves to, so
  // that bug refused delivery to every IPv4 host. (IP literals: no DNS lookup, no I/O.)
  it('lets delivery go to a public IPv4 address', async () => {
    await expect(assertDeliverable('https://203.0.113.10/hook', strict)).resolves.toBeUndefined();
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
