/** What an Idempotency-Key stores of a successful answer, for a retry to replay. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { storableBody } from '../../src/http/idempotency.js';

describe('the stored answer of an idempotent request', () => {
  it('keeps a serialised answer exactly as sent', () => {
    expect(storableBody('{"id":"b1","items":[]}')).toBe('{"id":"b1","items":[]}');
  });

  it('stores an answer no serialiser has turned into text as its JSON, not "[object Object]"', () => {
    const answer = { id: 'b1', items: [{ id: 'i1', riskBand: 'high' }] };
    const stored = storableBody(answer);
    expect(stored).not.toContain('[object Object]');
    expect(JSON.parse(stored)).toEqual(answer);
  });

  it('stores a text Buffer as its text', () => {
    expect(storableBody(Buffer.from('ward,date\nA1,2026-04-01\n', 'utf8'))).toBe('ward,date\nA1,2026-04-01\n');
  });

  it('stores an empty answer as the empty text', () => {
    expect(storableBody(null)).toBe('');
    expect(storableBody(undefined)).toBe('');
  });

  it('refuses a stream (storing it would consume the answer) and bytes that are not text', () => {
    expect(() => storableBody(Readable.from(['{"id":"b1"}']))).toThrow(/stream/);
    expect(() => storableBody(Buffer.from([0xff, 0xfe, 0x00]))).toThrow();
  });
});
