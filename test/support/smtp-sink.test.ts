// The tests' SMTP server outlives a sender that dies mid-session, as servers SIGKILLed by the cluster test do.
import { expect } from 'chai';
import { connect } from 'node:net';
import nodemailer from 'nodemailer';
import { listenSmtp } from './smtp-sink.ts';

describe('the tests\' SMTP sink', () => {
  it('goes on accepting mail after a sender resets its connection mid-session', async () => {
    const received: string[] = [];
    const sink = await listenSmtp((raw) => {
      received.push(raw.toString());
      return undefined;
    });
    try {
      const { port } = new URL(sink.url);
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('data', () => resolve()));
      socket.write('EHLO killed.example\r\nMAIL FROM:<a@example.org>\r\n');
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.resetAndDestroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const transport = nodemailer.createTransport({ url: sink.url, ignoreTLS: true });
      await transport.sendMail({ from: 'a@example.org', to: 'b@example.org', subject: 'after', text: 'still here' });
      expect(received).to.have.length(1);
      expect(received[0]).to.include('Subject: after');
    } finally {
      await sink.close();
    }
  });
});
