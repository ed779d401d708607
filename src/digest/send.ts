import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { digestSends } from '../db/schema.js';
import { localDateOf } from '../domain/calendar.js';
import { composeDigest, type DigestEntry } from './compose.js';
import type { Mailer } from './mailer.js';
import { actionsOf, coversOn, recipients, unresolvedEscalations } from './queries.js';

/** A claim this old and still unsent was left by a worker that died mid-send: taken again. */
const STALE_CLAIM_MS = 10 * 60_000;

export interface DigestReport {
  date: string;
  sent: number;
  /** Already sent today, or being sent by another worker. */
  skipped: number;
  failed: number;
}

/**
 * The day's digest to every manager with unresolved escalations (their own, and those of the
 * managers they cover today), at most once per manager per day: each send is claimed in
 * digest_sends (staff, day) first, so two workers, or a job run again, never send a second.
 * A failed send releases its claim and the pass throws at the end, so the job's retry sends it.
 */
export async function sendDailyDigests(
  deps: { db: Database; mailer: Mailer; logger?: Logger | undefined },
  now = new Date(),
): Promise<DigestReport> {
  const { db, mailer } = deps;
  const today = localDateOf(now);
  const digests = await digestsOf(db, today);
  const report: DigestReport = { date: today, sent: 0, skipped: 0, failed: 0 };
  for (const { person, entries } of digests) {
    if (!(await claim(db, person, today, now))) {
      report.skipped++;
      continue;
    }
    const message = composeDigest(person.name, entries, now, today, (instant) => localDateOf(instant));
    const messageId = `<digest-${person.id}-${today}@ward-safety-briefings.invalid>`;
    try {
      await mailer.send({ to: person.email, subject: message.subject, text: message.text, messageId });
      await db
        .update(digestSends)
        .set({ sentAt: new Date(), messageId, escalations: entries.length })
        .where(and(eq(digestSends.staffId, person.id), eq(digestSends.date, today)));
      report.sent++;
    } catch (error) {
      deps.logger?.warn({ err: error, staffId: person.id, date: today }, 'daily digest not sent; it will be retried');
      await db
        .update(digestSends)
        .set({ claimedAt: new Date(0) })
        .where(and(eq(digestSends.staffId, person.id), eq(digestSends.date, today), isNull(digestSends.sentAt)));
      report.failed++;
    }
  }
  if (report.failed > 0) throw new Error(`${report.failed} daily digests for ${today} were not sent`);
  return report;
}

/** Takes the (manager, day) digest for this process, unless it was sent or another process holds it. */
async function claim(db: Database, person: { id: string; organisationId: string }, day: string, now: Date) {
  const claimed = await db
    .insert(digestSends)
    .values({ staffId: person.id, date: day, organisationId: person.organisationId, claimedAt: now })
    .onConflictDoUpdate({
      target: [digestSends.staffId, digestSends.date],
      set: { claimedAt: now, attempts: sql`${digestSends.attempts} + 1` },
      setWhere: and(isNull(digestSends.sentAt), lt(digestSends.claimedAt, new Date(now.getTime() - STALE_CLAIM_MS))),
    })
    .returning({ staffId: digestSends.staffId });
  return claimed.length > 0;
}

/** Each recipient's escalations: their own, then those of the managers they cover on `day`. */
async function digestsOf(db: Database, day: string) {
  const rows = await unresolvedEscalations(db);
  const actions = await actionsOf(
    db,
    rows.map((r) => r.id),
  );
  const actionsBy = new Map<string, { description: string; dueDate: string }[]>();
  for (const a of actions) actionsBy.set(a.escalationId, [...(actionsBy.get(a.escalationId) ?? []), a]);
  const covers = await coversOn(db, day);
  const people = await recipients(db, [
    ...new Set([...rows.map((r) => r.assigneeStaffId), ...covers.map((c) => c.deputyStaffId)]),
  ]);
  const personOf = new Map(people.map((p) => [p.id, p]));
  const entries = new Map<string, DigestEntry[]>();
  const add = (recipient: string, entry: DigestEntry) =>
    entries.set(recipient, [...(entries.get(recipient) ?? []), entry]);
  for (const row of rows) {
    const own = { row, actions: actionsBy.get(row.id) ?? [], coverFor: null };
    add(row.assigneeStaffId, own);
    for (const cover of covers.filter((c) => c.managerStaffId === row.assigneeStaffId)) {
      add(cover.deputyStaffId, { ...own, coverFor: personOf.get(row.assigneeStaffId)?.name ?? 'a colleague' });
    }
  }
  return [...entries]
    .map(([staffId, list]) => ({ person: personOf.get(staffId), entries: list }))
    .filter((d): d is { person: (typeof people)[number]; entries: DigestEntry[] } => d.person !== undefined)
    .map((d) => ({ ...d, entries: d.entries.filter((e) => e.row.organisationId === d.person.organisationId) }))
    .filter((d) => d.entries.length > 0);
}
