// da login / logout / whoami. A password, a personal access token or an emailed magic link
// becomes a bearer token kept in the config file (mode 0600).
import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { Api } from '../api.js';
import { action } from '../command.js';
import { clearConfig, normalizeServer, saveConfig } from '../config.js';
import type { Context } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { ask, canPrompt, readStdin } from '../prompt.js';
import { renderPairs } from '../render.js';

interface Me {
  id: string;
  email: string;
  name?: string | null;
  role: string;
  token_type?: string;
}

interface TokenAnswer {
  access_token: string;
}

interface LoginOptions {
  email?: string;
  token?: string;
  tokenStdin?: boolean;
  passwordStdin?: boolean;
  magicLink?: boolean;
  link?: string;
  patDays?: string;
}

export function registerAuth(program: Command): void {
  program
    .command('login')
    .description('Sign in: with a password (default), a personal access token (--token), or an emailed link (--magic-link, then --link)')
    .option('--email <email>', 'your account (or DA_EMAIL)')
    .option('--token <pat>', 'a personal access token from the portal (dashboard or Tokens page: /account/tokens) or POST /auth/tokens')
    .option('--token-stdin', 'read the personal access token from stdin (keeps it out of ps and shell history)')
    .option('--password-stdin', 'read the password from stdin (or set DA_PASSWORD)')
    .option('--magic-link', 'mail a single-use sign-in link to --email')
    .option('--link <url>', 'the sign-in link from the mail')
    .option('--pat-days <n>', 'after a password or link sign-in, keep a personal access token valid this many days instead of the session (which lasts hours)')
    .action(action<LoginOptions>(login));

  program.command('logout').description('Forget the stored token').action(action<object>(logout));
  program.command('whoami').description('The signed-in user and server').action(action<object>(whoami));
}

async function login(ctx: Context, o: LoginOptions): Promise<void> {
  const linkUrl = o.link ? parseLink(o.link) : undefined;
  const server = ctx.connection.server ?? linkUrl?.server;
  if (!server) throw usageError('No server to sign in to', 'pass --server https://your-aida-host (or set DA_SERVER)');
  const patDays = o.patDays === undefined ? undefined : Number(o.patDays);
  if (patDays !== undefined && (!Number.isInteger(patDays) || patDays < 1 || patDays > 3650))
    throw usageError(`--pat-days must be a whole number from 1 to 3650, not '${o.patDays}'`);
  if (patDays !== undefined && (o.token || o.tokenStdin))
    throw usageError('--pat-days is for password or link sign-ins; --token already is a personal access token');
  const anonymous = ctx.api({ auth: false, server, token: '' });

  let token: string;
  if (o.tokenStdin) {
    token = (await readStdin()).trim();
    if (!token) throw usageError('--token-stdin read nothing', 'pipe the token in: da login --token-stdin < token.txt');
  } else if (o.token) {
    token = o.token;
  } else if (linkUrl) {
    token = (await anonymous.json<TokenAnswer>('/auth/email/verify', { method: 'POST', body: { email: linkUrl.email, token: linkUrl.token } })).access_token;
  } else {
    const email = o.email ?? ctx.env.DA_EMAIL ?? (await ask('Email: ', { instead: 'pass --email or set DA_EMAIL' }));
    if (o.magicLink) {
      const sent = await anonymous.json<{ message?: string }>('/auth/email/send-link', { method: 'POST', body: { email } });
      if (!canPrompt()) {
        ctx.out.result(
          { status: 'link_sent', email, message: sent?.message },
          () => `${sent?.message ?? 'A sign-in link is on its way.'}\nThen run: da login --link '<the link from the mail>'`,
        );
        return;
      }
      ctx.out.info(sent?.message ?? 'A sign-in link is on its way.');
      const pasted = parseLink(await ask('Paste the link from the mail: ', { instead: 'run da login --link <url>' }));
      token = (await anonymous.json<TokenAnswer>('/auth/email/verify', { method: 'POST', body: { email: pasted.email, token: pasted.token } })).access_token;
    } else {
      const password = o.passwordStdin
        ? (await readStdin()).replace(/\r?\n$/, '')
        : (ctx.env.DA_PASSWORD ??
          (await ask('Password: ', { hidden: true, instead: 'use --password-stdin, DA_PASSWORD, or --token with a personal access token' })));
      token = await passwordSignIn(anonymous, email, password);
    }
  }

  let patId: string | undefined;
  if (patDays !== undefined) {
    // The session mints a token of its own for this machine; `da logout` revokes it.
    const pat = await ctx.api({ server, token }).json<{ id: string; token: string }>('/auth/tokens', {
      method: 'POST',
      body: { name: `da on ${hostname()}`.slice(0, 100), expires_in_days: patDays },
    });
    token = pat.token;
    patId = pat.id;
  }
  const me = await ctx.api({ server, token }).json<Me>('/auth/me');
  await saveConfig(
    { server, token, email: me.email, role: me.role, user_id: me.id, signed_in_at: new Date().toISOString(), ...(patId ? { pat_id: patId } : {}) },
    ctx.env,
  );
  ctx.out.result({ server, user: me }, () => `Signed in to ${server} as ${me.email} (${me.role}).`);
}

/**
 * POST /auth/token. Its 401 is about the email and password, not a token: the client's generic
 * "token no longer valid, run da login" would send someone who just ran da login in a circle.
 */
async function passwordSignIn(api: Api, email: string, password: string): Promise<string> {
  try {
    return (await api.json<TokenAnswer>('/auth/token', { method: 'POST', body: { email, password } })).access_token;
  } catch (e) {
    if (!(e instanceof CliError) || e.details.status !== 401) throw e;
    // The server does not say which of the two, nor whether the account is deactivated.
    throw new CliError('auth', `The email or password is wrong (${email} at ${api.server})`, {
      status: 401,
      code: e.details.code,
      hint: 'check both (passwords are case-sensitive); if they are right, ask an admin whether your account is active or for a link to set a new password',
    });
  }
}

/** The server, email and token of a magic link (`<base>/auth/email/verify?email=…&token=…`). */
function parseLink(link: string): { server: string; email: string; token: string } {
  let u: URL;
  try {
    u = new URL(link);
  } catch {
    throw usageError('That is not a sign-in link', 'paste the whole link from the mail, starting with http');
  }
  const email = u.searchParams.get('email');
  const token = u.searchParams.get('token');
  if (!email || !token) throw usageError('The sign-in link has no email or token in it', 'paste the whole link from the mail');
  const server = normalizeServer(u.origin + u.pathname.replace(/\/auth\/email\/verify\/?$/, ''));
  return { server, email, token };
}

async function logout(ctx: Context): Promise<void> {
  let revoked = false;
  if (ctx.connection.server && ctx.stored.token) {
    // A token da minted at login is revoked on the server; a PAT you gave it stays yours.
    if (ctx.stored.pat_id)
      revoked = await ctx
        .api({ token: ctx.stored.token })
        .json(`/auth/tokens/${encodeURIComponent(ctx.stored.pat_id)}`, { method: 'DELETE' })
        .then(
          () => true,
          () => false,
        );
    await ctx
      .api({ token: ctx.stored.token })
      .json('/auth/logout', { method: 'POST' })
      .catch(() => undefined);
  }
  // The server stays remembered for the next `da login`; who you were does not.
  const { server } = ctx.stored;
  if (server) await saveConfig({ server }, ctx.env);
  else await clearConfig(ctx.env);
  ctx.out.result(
    { status: 'signed_out', ...(ctx.stored.pat_id ? { token_revoked: revoked } : {}) },
    () =>
      `Signed out; the stored token is gone${ctx.stored.pat_id ? (revoked ? ' and revoked on the server' : ' (it could not be revoked on the server: revoke it on the Tokens page of the portal, /account/tokens)') : ''}.`,
  );
}

async function whoami(ctx: Context): Promise<void> {
  const api = ctx.api();
  let me: Me;
  try {
    me = await api.json<Me>('/auth/me');
  } catch (e) {
    if (e instanceof CliError && e.kind === 'auth')
      throw new CliError('auth', `The token for ${api.server} is not valid any more: ${e.message}`, { status: e.details.status, hint: 'run da login' });
    throw e;
  }
  ctx.out.result({ server: api.server, user: me }, () =>
    renderPairs([
      ['server', api.server],
      ['email', me.email],
      ['name', me.name ?? ''],
      ['role', me.role],
      ['user id', me.id],
      ['token', me.token_type ?? ''],
    ]),
  );
}
