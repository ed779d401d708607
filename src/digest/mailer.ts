import { createTransport } from 'nodemailer';
import type { MailConfig } from '../config.js';

/** What the digest needs of a mail transport: send one message, and close. */
export interface Mailer {
  from: string;
  send(message: { to: string; subject: string; text: string; messageId: string }): Promise<void>;
  close(): void;
}

/** A nodemailer SMTP transport from the configuration (SMTP_URL, or SMTP_HOST and the rest). */
export function createMailer(config: MailConfig): Mailer {
  const transport =
    'url' in config.transport
      ? createTransport(config.transport.url)
      : createTransport({
          host: config.transport.host,
          port: config.transport.port,
          secure: config.transport.secure,
          ...(config.transport.user
            ? { auth: { user: config.transport.user, pass: config.transport.password ?? '' } }
            : {}),
        });
  return {
    from: config.from,
    send: async (message) => {
      await transport.sendMail({ from: config.from, ...message });
    },
    close: () => transport.close(),
  };
}
