import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface TestSmtpServer {
  port: number;
  /** Every message accepted, parsed, in the order received. */
  messages: ParsedMail[];
  /** Recipients whose next message is refused (a 451 temporary failure), once each. */
  refuseNextTo: Set<string>;
  close(): Promise<void>;
}

/**
 * A real SMTP server (the smtp-server package) on a free loopback port, requiring a user name and
 * password, keeping what it receives (parsed by mailparser) for the test to read.
 */
export async function startSmtpServer(credentials: { user: string; pass: string }): Promise<TestSmtpServer> {
  const messages: ParsedMail[] = [];
  const refuseNextTo = new Set<string>();
  const server = new SMTPServer({
    // Plain SMTP on loopback: no certificate to trust, and AUTH allowed without TLS.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === credentials.user && auth.password === credentials.pass) {
        callback(null, { user: auth.username });
      } else {
        callback(new Error('Invalid user name or password'));
      }
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const to = session.envelope.rcptTo.map((r) => r.address);
          const refused = to.find((address) => refuseNextTo.delete(address));
          if (refused) {
            const error = Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 });
            callback(error);
            return;
          }
          messages.push(mail);
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    messages,
    refuseNextTo,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
