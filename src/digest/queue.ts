import type { Logger } from 'pino';
import type { MailConfig } from '../config.js';
import type { Database } from '../db/client.js';
import { REPORT_TIME_ZONE } from '../domain/calendar.js';
import type { QueueSet } from '../queue/queues.js';
import type { QueueHandler } from '../queue/workers.js';
import { createMailer } from './mailer.js';
import { sendDailyDigests } from './send.js';

/** The job scheduler that adds one digest job a day; its id keeps one whatever the workers. */
export const DIGEST_SCHEDULER_ID = 'daily-digest';

/** The mail-digests queue's handler: the day's digests, when mail is on. */
export function digestHandler(deps: {
  db: Database;
  config: { mail: MailConfig | null };
  logger: Logger;
}): QueueHandler<'mail-digests'> {
  return {
    process: async () => {
      if (!deps.config.mail) return { mail: 'off' };
      const mailer = createMailer(deps.config.mail);
      try {
        const report = await sendDailyDigests({ db: deps.db, mailer, logger: deps.logger });
        deps.logger.info(report, 'daily digests sent');
        return report;
      } finally {
        mailer.close();
      }
    },
  };
}

/**
 * Every worker at start: the daily digest job at DIGEST_TIME, UK time (a BullMQ job scheduler,
 * kept in Redis under one id, so several workers keep one schedule); removed when mail is off.
 * The reconciler's pass calls it too, so a schedule lost with Redis comes back.
 */
export async function scheduleDigests(queues: QueueSet, mail: MailConfig | null) {
  const queue = queues.get('mail-digests');
  if (!mail) {
    await queue.removeJobScheduler(DIGEST_SCHEDULER_ID);
    return;
  }
  const { hour, minute } = mail.digestAt;
  await queue.upsertJobScheduler(
    DIGEST_SCHEDULER_ID,
    { pattern: `${minute} ${hour} * * *`, tz: REPORT_TIME_ZONE },
    { name: 'daily-digest', data: {} },
  );
}
