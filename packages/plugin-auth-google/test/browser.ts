import type { TestHost } from '@aida/host/testing';
import { PUBLIC_ORIGIN } from './fake-google.js';

interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
  expires?: number;
}

/**
 * Just enough of a browser for an OAuth flow: fetch with `redirect: 'manual'`, a cookie jar
 * that honours Path, Max-Age/Expires and deletion, and a hosts table mapping the instance's
 * public origin to the test host's loopback address.
 */
export class Browser {
  readonly cookies: StoredCookie[] = [];
  private readonly hosts = new Map<string, string>();

  /** Requests to `publicOrigin` go to `actualOrigin` (like an /etc/hosts entry plus a proxy). */
  resolve(publicOrigin: string, actualOrigin: string): this {
    this.hosts.set(new URL(publicOrigin).host, new URL(actualOrigin).origin);
    return this;
  }

  cookie(name: string): string | undefined {
    return this.cookies.find((c) => c.name === name && (c.expires === undefined || c.expires > Date.now()))?.value;
  }

  async get(url: string): Promise<Response> {
    const u = new URL(url);
    const target = this.hosts.get(u.host);
    const actual = target ? `${target}${u.pathname}${u.search}` : u.href;
    const sent = this.cookies.filter((c) => c.host === u.hostname && pathMatches(u.pathname, c.path) && (c.expires === undefined || c.expires > Date.now()));
    const headers: Record<string, string> = {};
    if (sent.length) headers.cookie = sent.map((c) => `${c.name}=${c.value}`).join('; ');
    const res = await fetch(actual, { redirect: 'manual', headers });
    for (const line of res.headers.getSetCookie()) this.store(u, line);
    return res;
  }

  private store(u: URL, line: string): void {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    let path = '/';
    let expires: number | undefined;
    for (const a of attrs) {
      const [k, v = ''] = a.split('=');
      const key = k.toLowerCase();
      if (key === 'path') path = v || '/';
      else if (key === 'max-age') expires = Date.now() + Number(v) * 1000;
      else if (key === 'expires' && expires === undefined) expires = Date.parse(v);
    }
    const i = this.cookies.findIndex((c) => c.name === name && c.host === u.hostname && c.path === path);
    if (i >= 0) this.cookies.splice(i, 1);
    if (value !== '' && (expires === undefined || expires > Date.now())) this.cookies.push({ name, value, host: u.hostname, path, expires });
  }
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  return requestPath === cookiePath || requestPath.startsWith(cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`);
}

export interface FlowResult {
  browser: Browser;
  /** The first answer of /auth/google/login (302 to the provider, or 429). */
  login: Response;
  /** The provider's /authorize answer (302 back to the callback). */
  authorize?: Response;
  /** The answer of /auth/google/callback. */
  callback?: Response;
  /** The `access_token` cookie after the flow, if the host set one. */
  accessToken?: string;
}

export interface FlowOptions {
  browser?: Browser;
  /** `?next=` of the login, as the login page's link carries it. */
  next?: string;
  /** Rewrites the callback URL the provider sent the browser to (to tamper with state or code). */
  tamper?: (callback: URL) => void;
  /** Drops the browser's cookies between the provider and the callback (a cookie that got lost). */
  dropCookies?: boolean;
}

/** Runs the whole sign-in as a browser would: login → provider → callback. */
export async function signInWithGoogle(t: TestHost, options: FlowOptions = {}): Promise<FlowResult> {
  const browser = options.browser ?? new Browser().resolve(PUBLIC_ORIGIN, t.url);
  const login = await browser.get(`${PUBLIC_ORIGIN}/auth/google/login${options.next === undefined ? '' : `?next=${encodeURIComponent(options.next)}`}`);
  if (login.status !== 302) return { browser, login };
  const authorize = await browser.get(login.headers.get('location')!);
  if (authorize.status !== 302) throw new Error(`the provider answered ${authorize.status}: ${await authorize.text()}`);
  const back = new URL(authorize.headers.get('location')!);
  options.tamper?.(back);
  if (options.dropCookies) browser.cookies.length = 0;
  const callback = await browser.get(back.href);
  return { browser, login, authorize, callback, accessToken: browser.cookie('access_token') };
}

/** `/login?error=<code>` → `<code>`; undefined for any other location. */
export function loginError(res: Response | undefined): string | undefined {
  const location = res?.headers.get('location');
  if (!location) return undefined;
  const u = new URL(location, PUBLIC_ORIGIN);
  return u.pathname === '/login' ? (u.searchParams.get('error') ?? undefined) : undefined;
}
