import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import {
  DEFAULT_TOKEN_LIFETIMES,
  expiryOf,
  graceEndOf,
  lifetimeProblem,
  shouldRecordUse,
} from '../../src/domain/token-lifetime.js';

const NOW = new Date('2026-12-01T09:00:00Z');
const DAY_MS = 24 * 3600 * 1000;

describe('token lifetimes', () => {
  it('default to 90 days for staff, 365 for ward devices and 30 for a generated platform-admin token', () => {
    expect(expiryOf('staff', NOW, DEFAULT_TOKEN_LIFETIMES).getTime() - NOW.getTime()).toBe(90 * DAY_MS);
    expect(expiryOf('ward_device', NOW, DEFAULT_TOKEN_LIFETIMES).getTime() - NOW.getTime()).toBe(365 * DAY_MS);
    expect(expiryOf('platform_admin', NOW, DEFAULT_TOKEN_LIFETIMES).getTime() - NOW.getTime()).toBe(30 * DAY_MS);
    expect(expiryOf('staff', NOW, DEFAULT_TOKEN_LIFETIMES, 7).getTime() - NOW.getTime()).toBe(7 * DAY_MS);
  });

  it('accept a shorter lifetime on request, never a longer one than the default of the kind', () => {
    expect(lifetimeProblem('staff', undefined, DEFAULT_TOKEN_LIFETIMES)).toBeNull();
    expect(lifetimeProblem('staff', 1, DEFAULT_TOKEN_LIFETIMES)).toBeNull();
    expect(lifetimeProblem('staff', 90, DEFAULT_TOKEN_LIFETIMES)).toBeNull();
    expect(lifetimeProblem('staff', 91, DEFAULT_TOKEN_LIFETIMES)).toMatch(/1 to 90/);
    expect(lifetimeProblem('ward_device', 365, DEFAULT_TOKEN_LIFETIMES)).toBeNull();
    expect(lifetimeProblem('ward_device', 0, DEFAULT_TOKEN_LIFETIMES)).toMatch(/1 to 365/);
    expect(lifetimeProblem('ward_device', 1.5, DEFAULT_TOKEN_LIFETIMES)).toMatch(/whole number/);
  });

  it('end a rotated token at the end of the grace period, or at its own expiry if that is sooner', () => {
    const grace = new Date(NOW.getTime() + 24 * 3600 * 1000);
    expect(graceEndOf(new Date(NOW.getTime() + 30 * DAY_MS), NOW, DEFAULT_TOKEN_LIFETIMES)).toEqual(grace);
    const soon = new Date(NOW.getTime() + 3600 * 1000);
    expect(graceEndOf(soon, NOW, DEFAULT_TOKEN_LIFETIMES)).toEqual(soon);
    expect(graceEndOf(null, NOW, DEFAULT_TOKEN_LIFETIMES)).toEqual(grace);
  });

  it('record a use at most once a minute', () => {
    expect(shouldRecordUse(null, NOW)).toBe(true);
    expect(shouldRecordUse(new Date(NOW.getTime() - 59_999), NOW)).toBe(false);
    expect(shouldRecordUse(new Date(NOW.getTime() - 60_000), NOW)).toBe(true);
  });

  it('are configured from the environment, each default within its maximum', () => {
    expect(
      loadConfig({
        STAFF_TOKEN_DAYS: '30',
        WARD_DEVICE_TOKEN_DAYS: '180',
        PLATFORM_ADMIN_TOKEN_DAYS: '7',
        TOKEN_ROTATION_GRACE_SECONDS: '3600',
      }).tokenLifetimes,
    ).toEqual({ days: { staff: 30, ward_device: 180, platform_admin: 7 }, rotationGraceSeconds: 3600 });
    expect(loadConfig({}).tokenLifetimes).toEqual(DEFAULT_TOKEN_LIFETIMES);
    for (const [name, value] of [
      ['STAFF_TOKEN_DAYS', '366'],
      ['WARD_DEVICE_TOKEN_DAYS', '731'],
      ['PLATFORM_ADMIN_TOKEN_DAYS', '91'],
      ['STAFF_TOKEN_DAYS', '0'],
      ['TOKEN_ROTATION_GRACE_SECONDS', '604801'],
    ] as const) {
      expect(() => loadConfig({ [name]: value }), `${name}=${value}`).toThrow(ConfigError);
    }
  });

  it('reach identity providers over https only, unless loopback is allowed for tests', () => {
    expect(loadConfig({}).oidc).toEqual({ allowHttpLoopback: false, jwksCooldownSeconds: 30, fetchTimeoutMs: 5000 });
    expect(loadConfig({ OIDC_ALLOW_HTTP_LOOPBACK: 'true' }).oidc.allowHttpLoopback).toBe(true);
  });
});
