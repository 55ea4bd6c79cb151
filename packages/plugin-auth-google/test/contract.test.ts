import { describeAuthProviderContract } from '@aida/core/testing';
import { startTestHost } from '@aida/host/testing';
import plugin from '../src/index.js';
import { loginError, signInWithGoogle } from './browser.js';
import { startFakeGoogle } from './fake-google.js';

describeAuthProviderContract('google', async () => {
  const fake = await startFakeGoogle();
  return {
    host: await startTestHost({ plugins: [{ plugin, config: fake.config({ allowed_domains: ['example.com'] }) }] }),
    providerId: 'google',
    async signIn(t, email) {
      fake.identity = { email, name: 'Contract User' };
      const flow = await signInWithGoogle(t);
      if (!flow.accessToken) {
        throw new Error(
          `google sign-in of ${email} set no session (${flow.callback?.status} → ${loginError(flow.callback) ?? flow.callback?.headers.get('location')})`,
        );
      }
      return flow.accessToken;
    },
    async signInRejected(t, email) {
      fake.identity = { email, name: 'Contract User' };
      const flow = await signInWithGoogle(t, { tamper: (callback) => callback.searchParams.set('state', 'forged-state') });
      return flow.callback!;
    },
    cleanup: () => fake.close(),
  };
});
