/** The managers' daily e-mail digest, sent through a real SMTP server started here. */
import { eq } from 'drizzle-orm';
import type { ParsedMail } from 'mailparser';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { digestSends, escalations } from '../../src/db/schema.js';
import { localDateOf } from '../../src/domain/calendar.js';
import { createMailer } from '../../src/digest/mailer.js';
import { digestHandler, DIGEST_SCHEDULER_ID } from '../../src/digest/queue.js';
import { sendDailyDigests } from '../../src/digest/send.js';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { putPolicy, raiseHighRiskItem, waitFor } from '../helpers/escalation.js';
import { get, post, type Organisation } from '../helpers/fixtures.js';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';

let smtp: TestSmtpServer;
let ctx: TestContext;
let org: Organisation;
let other: Organisation;
let deputy: { id: string; email: string };
const FROM = 'Ward safety briefings <briefings@trust.example>';
const today = () => localDateOf(new Date());

const emailOf = async (o: Organisation, staffId: string): Promise<string> =>
  (await get(ctx.app, `/v1/staff/${staffId}`, o.adminToken)).body.email;

async function escalated(o: Organisation, description: string) {
  const item = await raiseHighRiskItem(ctx, o, { description });
  expect(item.escalation, description).toBeTruthy();
  return item.escalation.id as string;
}

const act = async (token: string, id: string, action: string, body: Record<string, unknown>) => {
  const res = await post(ctx.app, `/v1/escalations/${id}/${action}`, token, body);
  expect(res.status, res.raw).toBe(200);
};

beforeAll(async () => {
  smtp = await startSmtpServer({ user: 'digest', pass: 's3cret' });
  ({ ctx, org, other } = await startApiTest({
    organisations: 2,
    env: { SMTP_URL: `smtp://digest:s3cret@127.0.0.1:${smtp.port}`, SMTP_FROM: FROM, DIGEST_TIME: '06:30' },
    policy: (o) => ({ levels: [{ staffId: o.middleManager.id }] }),
  }));
  await putPolicy(ctx, other, other.wards[0]!.id, { levels: [{ staffId: other.middleManager.id }] });

  // The middle manager holds one overdue, one due today and one open escalation, and a resolved one.
  const overdue = await escalated(org, 'Bladder scanner broken on the ward');
  await ctx.database.db
    .update(escalations)
    .set({ dueAt: new Date(Date.now() - 3_600_000) })
    .where(eq(escalations.id, overdue));
  const due = await escalated(org, 'Hoist sling torn at the seam');
  await act(org.middleManager.token, due, 'acknowledge', {});
  await act(org.middleManager.token, due, 'actions', { description: 'Replace the sling', dueDate: today() });
  const open = await escalated(org, 'Drug fridge alarm sounding falsely');
  await act(org.middleManager.token, open, 'acknowledge', {});
  const resolved = await escalated(org, 'Commode wheel came off');
  await act(org.middleManager.token, resolved, 'acknowledge', {});
  await act(org.middleManager.token, resolved, 'resolve', { outcome: 'fixed', note: 'Wheel refitted' });
  // Another trust's manager holds one of their own.
  const theirs = await escalated(other, 'Suction unit missing from bay two');
  await act(other.middleManager.token, theirs, 'acknowledge', {});

  // A deputy covering the middle manager today gets the manager's escalations too.
  const member = await post(ctx.app, '/v1/staff', org.adminToken, {
    name: 'Dana Deputy',
    email: `dana.deputy.${org.code.toLowerCase()}@example.nhs.uk`,
    role: 'middle_manager',
    wardIds: [],
  });
  deputy = { id: member.body.id, email: member.body.email };
  const cover = await post(ctx.app, `/v1/staff/${org.middleManager.id}/cover`, org.adminToken, {
    deputyStaffId: deputy.id,
    from: today(),
    to: today(),
  });
  expect(cover.status, cover.raw).toBe(201);
});
afterAll(async () => {
  await ctx?.close();
  await smtp?.close();
});

const to = (mail: ParsedMail) =>
  (Array.isArray(mail.to) ? mail.to : [mail.to]).flatMap((a) => a!.value.map((v) => v.address));
const messagesTo = (address: string) => smtp.messages.filter((m) => to(m).includes(address));
/** The lines of a section of the digest's text, up to the next blank line. */
const section = (text: string, title: string) => {
  const start = text.split('\n').findIndex((line) => line.startsWith(`${title} (`));
  expect(start, `section ${title}`).toBeGreaterThanOrEqual(0);
  const rest = text.split('\n').slice(start);
  return rest.slice(0, rest.indexOf('')).join('\n');
};

describe('the daily digest', () => {
  it('is scheduled by the worker once a day at DIGEST_TIME, UK time, and a run sends each manager one e-mail', async () => {
    await ctx.startWorkers();
    const queue = ctx.queues.get('mail-digests');
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers).toEqual([
      expect.objectContaining({ key: DIGEST_SCHEDULER_ID, pattern: '30 6 * * *', tz: 'Europe/London' }),
    ]);
    // Today's run, now rather than at 06:30: the job the scheduler would add.
    await queue.add('daily-digest', {});
    await waitFor(async () => smtp.messages.length >= 3, 20_000, 'three digests');
    const recipients = smtp.messages.flatMap(to).sort();
    const expected = [
      await emailOf(org, org.middleManager.id),
      deputy.email,
      await emailOf(other, other.middleManager.id),
    ].sort();
    expect(recipients).toEqual(expected);
  });

  it("lists the manager's overdue, due and open escalations, and nothing of another manager or trust", async () => {
    const [mail] = messagesTo(await emailOf(org, org.middleManager.id));
    expect(mail!.from!.value).toEqual([{ name: 'Ward safety briefings', address: 'briefings@trust.example' }]);
    expect(mail!.subject).toBe(`Escalations for ${today()}: 1 overdue, 1 due today, 1 open`);
    expect(mail!.messageId).toBe(`<digest-${org.middleManager.id}-${today()}@ward-safety-briefings.invalid>`);
    const text = mail!.text!;
    expect(section(text, 'Overdue')).toContain('Bladder scanner broken on the ward');
    expect(section(text, 'Due today')).toContain('Hoist sling torn at the seam');
    expect(section(text, 'Due today')).toContain(`Action due ${today()}: Replace the sling`);
    expect(section(text, 'Open')).toContain('Drug fridge alarm sounding falsely');
    for (const absent of ['Commode wheel came off', 'Suction unit missing from bay two', 'covering for']) {
      expect(text).not.toContain(absent);
    }

    const [theirs] = messagesTo(await emailOf(other, other.middleManager.id));
    expect(theirs!.subject).toBe(`Escalations for ${today()}: 0 overdue, 0 due today, 1 open`);
    expect(theirs!.text).toContain('Suction unit missing from bay two');
    for (const absent of ['Bladder scanner', 'Hoist sling', 'Drug fridge', org.code]) {
      expect(theirs!.text).not.toContain(absent);
    }

    const [covering] = messagesTo(deputy.email);
    expect(covering!.text).toContain('Bladder scanner broken on the ward');
    expect(covering!.text).toMatch(/covering for middle_manager /);
    expect(covering!.text).not.toContain('Suction unit');
  });

  it('sends one digest per manager per day, however many workers or runs', async () => {
    const before = smtp.messages.length;
    const mailer = createMailer(ctx.config.mail!);
    try {
      const reports = await Promise.all([
        sendDailyDigests({ db: ctx.database.db, mailer }),
        sendDailyDigests({ db: ctx.database.db, mailer }),
      ]);
      expect(reports.map((r) => r.sent)).toEqual([0, 0]);
      expect(reports.map((r) => r.skipped)).toEqual([3, 3]);
    } finally {
      mailer.close();
    }
    await ctx.queues.get('mail-digests').add('daily-digest', {});
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(smtp.messages.length).toBe(before);
    const rows = await ctx.database.db.select().from(digestSends).where(eq(digestSends.date, today()));
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatchObject({ sentAt: expect.any(Date), attempts: 1 });
  });

  it('a send the server refuses is retried, and then sent once', async () => {
    const newcomer = await post(ctx.app, '/v1/staff', org.adminToken, {
      name: 'Flo Newcomer',
      email: `flo.newcomer.${org.code.toLowerCase()}@example.nhs.uk`,
      role: 'senior_manager',
    });
    const id = await escalated(org, 'Call bell panel dead in side room');
    await act(org.middleManager.token, id, 'reassign', { staffId: newcomer.body.id, reason: 'Estates budget' });
    smtp.refuseNextTo.add(newcomer.body.email);
    const mailer = createMailer(ctx.config.mail!);
    try {
      await expect(sendDailyDigests({ db: ctx.database.db, mailer })).rejects.toThrow(/1 daily digests/);
      const [held] = await ctx.database.db.select().from(digestSends).where(eq(digestSends.staffId, newcomer.body.id));
      expect(held!.sentAt).toBeNull();
      expect(messagesTo(newcomer.body.email)).toEqual([]);
      const retry = await sendDailyDigests({ db: ctx.database.db, mailer });
      expect(retry).toMatchObject({ sent: 1, failed: 0 });
    } finally {
      mailer.close();
    }
    const received = messagesTo(newcomer.body.email);
    expect(received).toHaveLength(1);
    expect(received[0]!.text).toContain('Call bell panel dead in side room');
  });
});

describe('mail settings', () => {
  it('mail is off when no SMTP server is set, and a half-set one stops the process with a message naming it', async () => {
    expect(loadConfig({}).mail).toBeNull();
    expect(loadConfig({ SMTP_HOST: 'relay.trust.example', SMTP_FROM: FROM })).toMatchObject({
      mail: { transport: { host: 'relay.trust.example', port: 587, secure: false }, from: FROM },
    });
    expect(() => loadConfig({ SMTP_URL: 'smtp://relay.trust.example' })).toThrow(/SMTP_FROM/);
    expect(() => loadConfig({ SMTP_USER: 'someone' })).toThrow(/SMTP_USER: needs SMTP_URL or SMTP_HOST/);
    expect(() => loadConfig({ SMTP_HOST: 'relay', SMTP_FROM: FROM, DIGEST_TIME: '7am' })).toThrow(ConfigError);
    expect(() => loadConfig({ SMTP_URL: 'http://relay.trust.example', SMTP_FROM: FROM })).toThrow(/SMTP_URL/);
    // A worker without mail does nothing with a digest job.
    const handler = digestHandler({ db: ctx.database.db, config: { mail: null }, logger: pino({ level: 'silent' }) });
    const before = smtp.messages.length;
    expect(await handler.process({} as never)).toEqual({ mail: 'off' });
    expect(smtp.messages.length).toBe(before);
  });
});
