/**
 * How long API tokens live. Each kind has a default lifetime (configurable) that may not exceed
 * its maximum; a token may be issued for fewer days than the default, never more, so the
 * configured default is the longest a token of that kind lives.
 */

export const TOKEN_LIFETIME_KINDS = ['staff', 'ward_device', 'platform_admin'] as const;
export type TokenLifetimeKind = (typeof TOKEN_LIFETIME_KINDS)[number];

/** The longest a default may be set to, in days. */
export const MAX_TOKEN_DAYS: Readonly<Record<TokenLifetimeKind, number>> = {
  staff: 365,
  ward_device: 730,
  platform_admin: 90,
};

export const DEFAULT_TOKEN_DAYS: Readonly<Record<TokenLifetimeKind, number>> = {
  staff: 90,
  ward_device: 365,
  platform_admin: 30,
};

export interface TokenLifetimes {
  /** Default lifetime in days per kind (at most MAX_TOKEN_DAYS). */
  days: Record<TokenLifetimeKind, number>;
  /** How long a rotated token keeps working after its replacement is issued. */
  rotationGraceSeconds: number;
}

export const DEFAULT_TOKEN_LIFETIMES: TokenLifetimes = {
  days: { ...DEFAULT_TOKEN_DAYS },
  rotationGraceSeconds: 24 * 3600,
};

const DAY_MS = 24 * 3600 * 1000;

/** Why `requestedDays` may not be used for a token of this kind, or null when it may. */
export function lifetimeProblem(
  kind: TokenLifetimeKind,
  requestedDays: number | undefined,
  lifetimes: TokenLifetimes,
): string | null {
  if (requestedDays === undefined) return null;
  const longest = lifetimes.days[kind];
  if (!Number.isInteger(requestedDays) || requestedDays < 1 || requestedDays > longest)
    return `must be a whole number of days from 1 to ${longest}`;
  return null;
}

/** When a token issued at `now` expires. */
export function expiryOf(kind: TokenLifetimeKind, now: Date, lifetimes: TokenLifetimes, requestedDays?: number): Date {
  return new Date(now.getTime() + (requestedDays ?? lifetimes.days[kind]) * DAY_MS);
}

/** When a rotated token stops working: the end of the grace period, or its own expiry if sooner. */
export function graceEndOf(expiresAt: Date | null, now: Date, lifetimes: TokenLifetimes): Date {
  const graceEnd = new Date(now.getTime() + lifetimes.rotationGraceSeconds * 1000);
  return expiresAt && expiresAt < graceEnd ? expiresAt : graceEnd;
}

/** Last use is written at most this often per token, so a busy token costs no write per request. */
export const LAST_USED_RESOLUTION_SECONDS = 60;

/** Whether a token last used at `lastUsedAt` should record its use at `now`. */
export function shouldRecordUse(lastUsedAt: Date | null, now: Date): boolean {
  return lastUsedAt === null || now.getTime() - lastUsedAt.getTime() >= LAST_USED_RESOLUTION_SECONDS * 1000;
}
