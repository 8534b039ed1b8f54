import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { SmtpMailer, DevOutboxMailer } from '../services/mailer.ts';

// A real SMTP server on loopback (the package nodemailer's authors maintain), receiving what the adapter sends.
const received: { from: string; to: string[]; body: string }[] = [];
let server: SMTPServer;
let port = 0;

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, done) {
      let body = '';
      stream.on('data', (c: Buffer) => (body += c.toString()));
      stream.on('end', () => {
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), body });
        done();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('mail', () => {
  it('sends through SMTP when SMTP_URL is configured', async () => {
    const mailer = new SmtpMailer(`smtp://127.0.0.1:${port}?ignoreTLS=true`, 'Palisade <no-reply@palisade.test>');
    await mailer.send({ to: 'ada@example.com', subject: 'Reset your password', text: 'Choose a new password: http://x/reset?token=abc' });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ from: 'no-reply@palisade.test', to: ['ada@example.com'] });
    expect(received[0]!.body).toContain('Subject: Reset your password');
    expect(received[0]!.body).toContain('token=abc');
  });

  it('keeps development mail readable in the outbox', async () => {
    const outbox = new DevOutboxMailer(null, null);
    await outbox.send({ to: 'bea@example.com', subject: 'Confirm your email', text: 'link 1' });
    await outbox.send({ to: 'bea@example.com', subject: 'Confirm your email', text: 'link 2' });
    expect(outbox.lastTo('bea@example.com')?.text).toBe('link 2');
    expect(outbox.lastTo('nobody@example.com')).toBeNull();
  });
});
