// mapLimit and formatBytes as @aida/core has them, for the modules on `da sync`'s path:
// importing @aida/core loads DuckDB's native module and every schema of the platform, which
// a `--cpu-prof` of `da sync` showed as most of its start (~0.6 s of CPU on the bench machine)
// before the first request. test/small-helpers.test.ts checks they answer as core's do.

/** Runs `fn` over `items` with at most `limit` at once; results in input order; the first error wins. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        failed ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw failed.error;
  return out;
}

/** `1.5 MB`, `300 B`: binary units, one decimal. */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
