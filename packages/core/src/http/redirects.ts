/**
 * Where to go after sign-in: `next` only when it is a path on this host. `//evil.example`
 * and `/\evil.example` are read by browsers as another host, and `https://…` is one, so
 * anything but a single leading slash falls back to the dashboard.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/dashboard';
  // Control characters (a tab or newline browsers strip) could turn the rest into a host.
  if ([...next].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return '/dashboard';
  return next;
}
