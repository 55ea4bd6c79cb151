/**
 * Stops, after the test file, every test host the file left running. Under vitest the hook
 * is registered when this module is first evaluated — while the test file is being imported,
 * the one moment a file-level `afterAll` can still be added (one added from inside a
 * `beforeAll` or a test is silently never run). vitest is imported lazily, so the kit works
 * in any runner; elsewhere, and with vitest's `isolate: false` (where this module outlives
 * its first file), call `stop()` yourself.
 */
const live = new Set<{ stop(): Promise<void> }>();

/** Tracks a started host until it stops. */
export function stopAfterTestFile(host: { stop(): Promise<void> }): () => void {
  live.add(host);
  return () => live.delete(host);
}

async function stopAll(): Promise<void> {
  const hosts = [...live];
  live.clear();
  await Promise.all(hosts.map((h) => h.stop()));
}

if (process.env.VITEST) {
  const { afterAll } = await import('vitest');
  afterAll(stopAll);
}
