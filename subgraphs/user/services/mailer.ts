import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import type { Logger } from '@palisade/kit';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
}

/**
 * Development mail: kept in memory for tests and written to <data dir>/outbox/ for developers, so
 * verification and reset links can be followed without a mail server.
 */
export class DevOutboxMailer implements Mailer {
  readonly sent: (Mail & { at: Date })[] = [];
  private readonly waiting = new Set<{ match: (m: Mail) => boolean; resolve: (m: Mail) => void }>();
  constructor(private readonly dir: string | null, private readonly log: Logger | null) {}
  async send(mail: Mail) {
    this.sent.push({ ...mail, at: new Date() });
    if (this.sent.length > 1000) this.sent.shift();
    for (const w of this.waiting) if (w.match(mail)) w.resolve(mail);
    if (this.dir) {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(join(this.dir, `${Date.now()}-${mail.to.replace(/[^a-z0-9@.]/gi, '_')}.txt`), `To: ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text}\n`);
    }
    this.log?.info({ to: mail.to, subject: mail.subject }, 'mail written to the development outbox');
  }
  /** The newest mail to an address (with that subject), for tests. */
  lastTo(to: string, subject?: string) {
    return [...this.sent].reverse().find((m) => m.to === to && (subject === undefined || m.subject === subject)) ?? null;
  }

  /** For tests: the newest mail to an address with that subject, once the mail queue has sent it. */
  mailTo(to: string, subject: string, timeoutMs = 15_000): Promise<Mail> {
    const match = (m: Mail) => m.to === to && m.subject === subject;
    const sent = this.lastTo(to, subject);
    if (sent) return Promise.resolve(sent);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (m: Mail) => {
          this.waiting.delete(waiter);
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiting.delete(waiter);
        reject(new Error(`no "${subject}" mail to ${to} within ${timeoutMs / 1000}s`));
      }, timeoutMs);
      this.waiting.add(waiter);
    });
  }
}

export class SmtpMailer implements Mailer {
  private readonly transport;
  constructor(url: string, private readonly from: string) {
    this.transport = createTransport(url);
  }
  async send(mail: Mail) {
    await this.transport.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text });
  }
}

export interface MailSettings {
  /** SMTP_URL (e.g. smtps://user:pass@smtp.example.com); null writes to the development outbox. */
  smtpUrl: string | null;
  /** MAIL_FROM. */
  from: string;
  /** The development outbox's folder; null keeps mail in memory only (tests). */
  outboxDir: string | null;
}

/** Real mail over SMTP when configured; the development outbox otherwise (production refuses that, see kit/src/config). */
export function createMailer(log: Logger | null, o: MailSettings): Mailer {
  if (o.smtpUrl) return new SmtpMailer(o.smtpUrl, o.from);
  return new DevOutboxMailer(o.outboxDir, log);
}
