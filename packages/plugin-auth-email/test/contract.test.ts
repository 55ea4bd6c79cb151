import { describeAuthProviderContract } from '@aida/core/testing';
import { startTestHost } from '@aida/host/testing';
import plugin from '../src/index.js';
import { sendLink, smtpConfig, verify } from './helpers.js';
import { linkIn, startCaptureServer } from './smtp-capture.js';

describeAuthProviderContract('email', async () => {
  const smtp = await startCaptureServer();
  return {
    host: await startTestHost({ plugins: [{ plugin, config: { smtp: smtpConfig(smtp.port) } }] }),
    providerId: 'email',
    // As a person would: ask for a link, open the mail, redeem the link.
    async signIn(t, email) {
      const since = smtp.mails.length;
      const asked = await sendLink(t, email);
      if (asked.status !== 200) throw new Error(`send-link answered ${asked.status}: ${await asked.text()}`);
      const link = linkIn(await smtp.waitForMail(email, { since, timeoutMs: 3000 }));
      const res = await verify(t, link.searchParams.get('email')!, link.searchParams.get('token')!);
      if (res.status !== 200) throw new Error(`verify answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { access_token: string }).access_token;
    },
    signInRejected: (t, email) => verify(t, email, 'not-the-token-from-the-mail'),
    cleanup: () => smtp.close(),
  };
});
