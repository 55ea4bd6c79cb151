import { describeAuthProviderContract } from '@aida/core/testing';
import { startTestHost } from '@aida/host/testing';

describeAuthProviderContract('password (built in)', async () => ({
  host: await startTestHost(),
  providerId: 'password',
  async signIn(t, email, password) {
    const res = await t.request('/auth/password/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (res.status !== 200) throw new Error(`sign-in refused: ${res.status}`);
    return ((await res.json()) as { access_token: string }).access_token;
  },
  signInRejected: (t, email) =>
    t.request('/auth/password/login/web', {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email, password: 'definitely-wrong' }).toString(),
    }),
}));
