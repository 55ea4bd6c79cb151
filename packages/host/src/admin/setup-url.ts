/**
 * The address a setup link is opened at: `--base-url`, else the config's `instance.base_url`,
 * else the host as it listens by default on this machine (`http://localhost:<port>`).
 */
export function setupUrl(setupPath: string, base: { baseUrl?: string; port?: number }): string {
  const root = (base.baseUrl ?? `http://localhost:${base.port ?? 8000}`).replace(/\/$/, '');
  return `${root}${setupPath}`;
}
