import { createHash, randomBytes } from 'node:crypto';

const TOKEN_PREFIX = 'wsb_';

/** 256 random bits; prefixed so leaked tokens are easy to recognise in secret scanners. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Tokens are high-entropy, so a fast hash suffices (no password stretching needed). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** What lists show of a token: its scheme prefix and four characters, never enough to use it. */
export function tokenPrefix(token: string): string {
  return token.slice(0, TOKEN_PREFIX.length + 4);
}
