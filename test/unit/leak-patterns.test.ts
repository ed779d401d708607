import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leaks } from '../faults/service-harness.js';

describe('the scan for internals in answers', () => {
  it('finds what PostgreSQL says when a statement fails', () => {
    for (const message of [
      'duplicate key value violates unique constraint "staff_email_key"',
      'syntax error at or near "FROM"',
      'invalid input syntax for type uuid: "x"',
      'relation "briefings" does not exist',
      'column "ward" does not exist',
      'current transaction is aborted, commands ignored until end of transaction block',
      'permission denied for table pg_catalog.pg_authid',
    ]) {
      expect(leaks(JSON.stringify({ detail: message })), message).toContain('database error');
    }
  });

  it('passes a new token whose random text happens to hold "pg_"', () => {
    expect(leaks(JSON.stringify({ token: 'wsb_ao4BNjpg_z-zO1hrfQbNVoybBE-pQYOe3PbgByLSb8I' }))).toEqual([]);
    for (let i = 0; i < 2000; i++) {
      const token = `wsb_${randomBytes(32).toString('base64url')}`;
      expect(leaks(JSON.stringify({ token })), token).toEqual([]);
    }
  });
});
