/** The pure rules of cover and of the daily digest, and the mail settings. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { coverInForce, coverRangeProblem, rangesOverlap } from '../../src/domain/cover.js';
import { digestSection } from '../../src/domain/digest.js';

describe('a cover range', () => {
  const today = '2026-12-07';

  it.each([
    [{ from: '2026-12-07', to: '2026-12-07' }, null],
    [{ from: '2026-12-01', to: '2026-12-07' }, null],
    [
      { from: '2026-12-10', to: '2026-12-08' },
      { path: 'body.to', status: 400 },
    ],
    [
      { from: '2026-12-07', to: '2027-12-08' },
      { path: 'body.to', status: 400 },
    ],
    [{ from: '2026-12-07', to: '2027-12-07' }, null],
    [
      { from: '2026-11-01', to: '2026-12-06' },
      { path: 'body.to', status: 422 },
    ],
  ])('%j: %j', (range, problem) => {
    const found = coverRangeProblem(range, today);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toMatchObject(problem);
  });

  it('overlaps another when they share a day, both ends included', () => {
    const a = { from: '2026-12-01', to: '2026-12-05' };
    expect(rangesOverlap(a, { from: '2026-12-05', to: '2026-12-09' })).toBe(true);
    expect(rangesOverlap(a, { from: '2026-11-20', to: '2026-12-01' })).toBe(true);
    expect(rangesOverlap(a, { from: '2026-12-02', to: '2026-12-03' })).toBe(true);
    expect(rangesOverlap(a, { from: '2026-12-06', to: '2026-12-09' })).toBe(false);
    expect(rangesOverlap(a, { from: '2026-11-20', to: '2026-11-30' })).toBe(false);
  });

  it('is in force from its first to its last day unless cancelled', () => {
    const cover = { from: '2026-12-01', to: '2026-12-05', cancelledAt: null };
    expect(['2026-11-30', '2026-12-01', '2026-12-05', '2026-12-06'].map((d) => coverInForce(cover, d))).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect(coverInForce({ ...cover, cancelledAt: new Date() }, '2026-12-03')).toBe(false);
  });
});

describe("a digest's sections", () => {
  const now = new Date('2026-12-07T09:00:00Z');
  const today = '2026-12-07';
  const base = { dueAt: new Date('2026-12-07T15:00:00Z'), dueDay: today, actionDueDates: [] as string[] };

  it.each([
    ['open, past its deadline', { ...base, state: 'open', dueAt: new Date('2026-12-07T08:59:00Z') }, 'overdue'],
    [
      'acknowledged, an action past its due date',
      { ...base, state: 'acknowledged', actionDueDates: ['2026-12-06'] },
      'overdue',
    ],
    ['open, deadline later today', { ...base, state: 'open' }, 'due'],
    ['in progress, an action due today', { ...base, state: 'in_progress', actionDueDates: ['2026-12-07'] }, 'due'],
    [
      'open, deadline tomorrow',
      { ...base, state: 'open', dueAt: new Date('2026-12-08T09:00:00Z'), dueDay: '2026-12-08' },
      'open',
    ],
    [
      'acknowledged, deadline passed but acknowledged',
      { ...base, state: 'acknowledged', dueAt: new Date('2026-12-06T09:00:00Z') },
      'open',
    ],
    ['in progress, an action due next week', { ...base, state: 'in_progress', actionDueDates: ['2026-12-14'] }, 'open'],
  ] as const)('%s: %s', (_what, escalation, section) => {
    expect(digestSection(escalation, now, today)).toBe(section);
  });
});

describe('mail settings', () => {
  it('never repeats the SMTP password in a configuration error', () => {
    const error = (() => {
      try {
        loadConfig({ SMTP_URL: 'http://digest:hunter2-secret@relay.trust.example', SMTP_FROM: 'a@b.example' });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('SMTP_URL');
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('reads a relay given host by host, with TLS from the start on port 465', () => {
    expect(
      loadConfig({
        SMTP_HOST: 'relay.trust.example',
        SMTP_PORT: '465',
        SMTP_USER: 'briefings',
        SMTP_PASSWORD: 'pw',
        SMTP_FROM: 'briefings@trust.example',
        DIGEST_TIME: '06:45',
      }).mail,
    ).toEqual({
      transport: { host: 'relay.trust.example', port: 465, secure: true, user: 'briefings', password: 'pw' },
      from: 'briefings@trust.example',
      digestAt: { hour: 6, minute: 45 },
    });
    expect(loadConfig({ SMTP_URL: 'smtps://relay.trust.example', SMTP_FROM: 'x@y.example' }).mail?.transport).toEqual({
      url: 'smtps://relay.trust.example',
    });
    expect(() => loadConfig({ SMTP_URL: 'smtp://a', SMTP_HOST: 'b', SMTP_FROM: 'x@y.example' })).toThrow(/not both/);
    expect(() => loadConfig({ DIGEST_TIME: '24:00' })).toThrow(/DIGEST_TIME/);
  });
});
