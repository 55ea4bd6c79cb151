import type { AuthProvider, RouteDefinition } from '@aida/core';
import { safeNext } from '@aida/core';

const ERRORS: Record<string, string> = {
  invalid_credentials: 'Incorrect email or password.',
  too_many_attempts: 'Too many attempts. Wait a minute and try again.',
  domain_not_allowed: 'Your email domain is not allowed to sign in here.',
  invalid_link: 'This sign-in link is invalid, expired or already used.',
};

/** The login page (one entry per registered provider) and the password setup page. */
export function pageRoutes(providers: () => readonly AuthProvider[]): RouteDefinition[] {
  const login: RouteDefinition['handler'] = async (ctx) => {
    const code = typeof ctx.query.error === 'string' ? ctx.query.error : undefined;
    // Only a same-origin path is carried on to the form: the sign-in route checks it again.
    const next = typeof ctx.query.next === 'string' && safeNext(ctx.query.next) === ctx.query.next ? ctx.query.next : undefined;
    await ctx.render('login.njk', { title: 'Sign in', providers: providers(), next, error: code ? (ERRORS[code] ?? 'Sign-in failed. Try again.') : undefined });
  };
  return [
    { method: 'GET', path: '/login', access: 'public', handler: login },
    { method: 'GET', path: '/login/password', access: 'public', handler: login },
    {
      method: 'GET',
      path: '/login/setup',
      access: 'public',
      async handler(ctx) {
        await ctx.render('setup.njk', { title: 'Set your password', email: ctx.query.email, token: ctx.query.token });
      },
    },
  ];
}

/** Password sign-in is built in; it appears on the login page like any provider plugin. */
export const PASSWORD_PROVIDER = {
  id: 'password',
  login: {
    label: 'Sign in',
    form: {
      action: '/auth/password/login/web',
      fields: [
        { name: 'email', type: 'email' as const, label: 'Email' },
        { name: 'password', type: 'password' as const, label: 'Password' },
      ],
    },
  },
  routes: [],
};
