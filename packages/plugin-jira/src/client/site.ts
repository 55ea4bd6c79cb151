// Which URLs belong to the configured Jira site. The client sends the API token only to the
// site, and fetches attachment content only from it: an attachment URL is data Jira returned,
// and following it anywhere else would be an SSRF hole (upstream #83, #911).

/** Hosts a site may use plain http on: the machine itself, as a local fake of Jira in tests is. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

/** Whether `url` may be spoken to at all: https, or http on a loopback host. */
export function isSecureOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/** Why `url` is not on `site` (same scheme, host and port) over an allowed scheme; undefined when it is. */
export function offSite(url: URL, site: URL): string | undefined {
  if (url.origin !== site.origin) return `it is not on the Jira site ${site.origin}`;
  if (!isSecureOrLoopback(url)) return 'it is not https';
  return undefined;
}
