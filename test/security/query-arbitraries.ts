/**
 * Hostile query strings and path ids for the GET routes, as fast-check arbitraries (fuzz.test.ts
 * sends them). Not a test file itself.
 */
import fc from 'fast-check';
import { NASTY_STRINGS } from './mutations.js';
import type { Operation } from './route-world.js';

/** Percent-encodes UTF-8 bytes of any string, lone surrogates included (as U+FFFD, like a browser). */
const encode = (value: string) =>
  [...Buffer.from(value, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

/** Percent sequences that are not UTF-8 or not percent-encoding at all. */
const RAW_QUERY = [
  '%FF',
  '%C0%80',
  '%ED%A0%80',
  '%E2%82',
  '%00',
  '%',
  '%zz',
  '%%',
  '+',
  '==',
  '&&',
  '%26',
  '%3D',
  '%2F..%2F',
];

const uuid = fc.uuid();
const forgedCursor = fc
  .oneof(
    fc.tuple(fc.string({ maxLength: 30 }), uuid),
    fc.tuple(
      fc.constantFrom('garbage', '2026-13-45', '', '9999-99-99T99:99:99Z', "'; select 1; --", '\u0000', 'NaN', '-1'),
      uuid,
    ),
    fc.tuple(fc.constantFrom('2026-01-01', '2026-01-01T00:00:00.000Z'), fc.oneof(uuid, fc.constant('not-a-uuid'))),
    fc.jsonValue({ maxDepth: 2 }),
  )
  .map((value) => Buffer.from(JSON.stringify(value) ?? 'null', 'utf8').toString('base64url'));

/** A query parameter's value: valid ones, forged cursors, numbers and dates out of shape, bytes that are not UTF-8. */
export function queryValue(op: Operation, wardId: string): fc.Arbitrary<string> {
  const valid = op.query.flatMap((q) => [
    ...(q.schema.enum ?? []).map(String),
    ...(q.schema.format === 'uuid' ? [wardId] : []),
  ]);
  return fc.oneof(
    // Routes that page take cursors: forged ones often.
    ...(op.query.some((q) => q.name === 'cursor') ? [forgedCursor, forgedCursor] : []),
    fc.constantFrom(...(valid.length ? valid : ['x'])),
    fc
      .constantFrom(
        '0',
        '1',
        '200',
        '201',
        '-1',
        '1e3',
        '1.5',
        'NaN',
        'Infinity',
        '0x10',
        ' 5',
        '5 ',
        '00050',
        '9999999999999999999',
      )
      .map(encode),
    fc.constantFrom(...RAW_QUERY),
    fc.constantFrom(...NASTY_STRINGS).map(encode),
    fc.string({ unit: 'binary', maxLength: 30 }).map(encode),
    // Long, but within Node's 16 KiB header limit (beyond it see headers.test.ts: 431).
    fc.constantFrom(2_000, 3_000).map((n) => 'a'.repeat(n)),
    forgedCursor,
    fc
      .constantFrom('2026-02-30', '2026-1-1', '20260101', '2026-01-01T00:00:00Z', '0000-00-00', '+002026-01-01')
      .map(encode),
    uuid,
  );
}

/** A path id that is not one: traversal, too long, not a uuid, or a uuid spelt otherwise. */
export const pathIdValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    ...RAW_QUERY.filter((s) => s !== '%2F..%2F'),
    '..',
    '%2e%2e',
    '.',
    'x'.repeat(201),
    'x'.repeat(150),
    '0',
    '-1',
    'null',
  ),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.uuid().map((u) => `%7B${u}%7D`),
  fc.constant('00000000-0000-0000-0000-000000000000'),
  fc.string({ unit: 'binary', maxLength: 40 }).map(encode),
);
