import { describe, expect, it } from 'vitest';
import { issuerProblem } from '../../src/identity/keys.js';

describe('the issuer URL of an identity provider', () => {
  const production = { allowHttpLoopback: false };
  it('must be https on a public host, with no credentials, query or fragment', () => {
    expect(issuerProblem('https://login.trust.example/realms/staff', production)).toBeNull();
    expect(
      issuerProblem(
        'https://am.nhsidentity.spineservices.nhs.uk:443/openam/oauth2/realms/root/realms/oidc',
        production,
      ),
    ).toBeNull();
    expect(issuerProblem('http://login.trust.example', production)).toBe('must use https');
    expect(issuerProblem('https://user:pw@login.trust.example', production)).toBe('must not contain credentials');
    expect(issuerProblem('https://login.trust.example/?x=1', production)).toBe('must not have a query or fragment');
    expect(issuerProblem('https://login.trust.example/#x', production)).toBe('must not have a query or fragment');
    expect(issuerProblem('ftp://login.trust.example', production)).toBe('must use https');
    expect(issuerProblem('login.trust.example', production)).toBe('must be an absolute URL');
  });

  it('must not point inside the network; loopback only where tests allow it', () => {
    for (const internal of [
      'https://127.0.0.1',
      'https://localhost',
      'https://10.0.0.5',
      'https://169.254.169.254',
      'https://[::1]',
      'https://[fd00::1]',
      'https://192.168.1.1',
    ])
      expect(issuerProblem(internal, production), internal).toBe('must not point at an internal address');
    expect(issuerProblem('http://127.0.0.1:4000', { allowHttpLoopback: true })).toBeNull();
    expect(issuerProblem('http://10.0.0.5', { allowHttpLoopback: true })).toBe('must use https');
  });
});
