import { describe, expect, it } from 'vitest';
import { alignmentOf, isAgreement } from '../../src/domain/alignment.js';
import { byPersistence, daysBetween, isPersistent, persistenceRank } from '../../src/domain/persistence.js';
import { eventHash, GENESIS_HASH } from '../../src/audit/chain.js';
import { canonicalJson } from '../../src/domain/canonical-json.js';

describe('alignment of the clinical and managerial positions', () => {
  // Every combination, written out.
  const table: [boolean | null, 'agree' | 'disagree' | 'needs_information' | null, string][] = [
    [true, 'agree', 'aligned_for_change'],
    [true, 'disagree', 'clinical_only'],
    [true, 'needs_information', 'pending'],
    [true, null, 'pending'],
    [false, 'agree', 'managerial_only'],
    [false, 'disagree', 'aligned_no_change'],
    [false, 'needs_information', 'pending'],
    [false, null, 'pending'],
    [null, 'agree', 'pending'],
    [null, 'disagree', 'pending'],
    [null, 'needs_information', 'pending'],
    [null, null, 'pending'],
  ];
  for (const [clinical, managerial, expected] of table) {
    it(`team ${String(clinical)}, manager ${String(managerial)} -> ${expected}`, () => {
      expect(alignmentOf(clinical, managerial)).toBe(expected);
    });
  }
  it('only the two aligned states count as agreement', () => {
    expect(
      ['aligned_for_change', 'aligned_no_change', 'clinical_only', 'managerial_only', 'pending'].map((s) =>
        isAgreement(s as never),
      ),
    ).toEqual([true, true, false, false, false]);
  });
});

describe('persistent issue ranking', () => {
  it('follows the documented formula', () => {
    // 12 x (1 + ln 3) x (1 + 15/30) = 12 x 2.0986 x 1.5 = 37.775
    expect(persistenceRank({ riskScore: 12, timesRaised: 3, daysOpen: 15 })).toBeCloseTo(37.775, 3);
    expect(persistenceRank({ riskScore: 10, timesRaised: 1, daysOpen: 0 })).toBe(10);
  });
  it('a higher risk, more repeats or more age each rank higher', () => {
    const base = { riskScore: 8, timesRaised: 2, daysOpen: 10 };
    const r = persistenceRank(base);
    expect(persistenceRank({ ...base, riskScore: 9 })).toBeGreaterThan(r);
    expect(persistenceRank({ ...base, timesRaised: 3 })).toBeGreaterThan(r);
    expect(persistenceRank({ ...base, daysOpen: 11 })).toBeGreaterThan(r);
  });
  it('is persistent from 3 raisings or more than 14 days open', () => {
    expect(isPersistent({ riskScore: 1, timesRaised: 3, daysOpen: 0 })).toBe(true);
    expect(isPersistent({ riskScore: 1, timesRaised: 2, daysOpen: 14 })).toBe(false);
    expect(isPersistent({ riskScore: 1, timesRaised: 2, daysOpen: 15 })).toBe(true);
  });
  it('lists equal ranks in one order everywhere: more raised, then longer open, then by thread id', () => {
    const thread = (threadId: string, timesRaised: number, daysOpen: number, rank = 20) => ({
      threadId,
      riskScore: 8,
      timesRaised,
      daysOpen,
      rank,
    });
    const threads = [
      thread('c', 3, 10),
      thread('b', 3, 10),
      thread('d', 3, 12),
      thread('e', 4, 1),
      thread('a', 1, 1, 30),
    ];
    expect([...threads].sort(byPersistence).map((t) => t.threadId)).toEqual(['a', 'e', 'd', 'b', 'c']);
    expect(
      [...threads]
        .reverse()
        .sort(byPersistence)
        .map((t) => t.threadId),
    ).toEqual(['a', 'e', 'd', 'b', 'c']);
  });
  it('counts days between dates', () => {
    expect(daysBetween('2026-02-27', '2026-03-01')).toBe(2);
    expect(daysBetween('2026-03-28', '2026-03-30')).toBe(2);
  });
});

describe('audit hash chain', () => {
  const content = {
    organisationId: 'o',
    seq: 1,
    occurredAt: '2026-11-30T10:00:00.000Z',
    actorType: 'staff',
    actorId: 'a',
    actorRole: 'clinician',
    entityType: 'item',
    entityId: 'i',
    action: 'raised',
    changes: { b: 1, a: { y: 2, x: [1, 'z'] } },
    requestId: 'r',
  };
  it('canonical JSON does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
    expect(canonicalJson({ a: { y: 2, x: 1 } })).toBe('{"a":{"x":1,"y":2}}');
  });
  it('any change of content or of the previous hash changes the hash', () => {
    const h = eventHash(content, GENESIS_HASH);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(eventHash({ ...content }, GENESIS_HASH)).toBe(h);
    expect(eventHash({ ...content, action: 'resolved' }, GENESIS_HASH)).not.toBe(h);
    expect(eventHash({ ...content, changes: { b: 2, a: { y: 2, x: [1, 'z'] } } }, GENESIS_HASH)).not.toBe(h);
    expect(eventHash(content, 'f'.repeat(64))).not.toBe(h);
  });
});
