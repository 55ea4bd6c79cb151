/**
 * Profiling in the background: after every rebuild, and once shortly after start to catch up
 * on what changed while the host was down. `idle()` resolves once none of it is left to run,
 * for measurements and embedders that want a settled host.
 */
import type { Orchestrator } from '@aida/core';
import type { ProfileService } from './service.js';

/** How long after start the catch-up waits: the host is serving by then. */
const CATCH_UP_AFTER_MS = 2000;

export class BackgroundProfiling {
  private readonly running = new Set<Promise<unknown>>();
  /** Settles once the catch-up has started (or was cancelled by stop). */
  private catchUp: Promise<void> = Promise.resolve();
  private cancelCatchUp = () => {};

  constructor(
    private readonly profiles: ProfileService,
    /** False while the host starts or stops: nothing new is started then. */
    private readonly serving: () => boolean,
  ) {}

  /** Profiles after each of the orchestrator's rebuilds, and once soon after start. */
  follow(orchestrator: Orchestrator): void {
    orchestrator.on((e) => {
      if (e.type === 'rebuilt') this.run();
    });
    this.catchUp = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.run();
        resolve();
      }, CATCH_UP_AFTER_MS);
      timer.unref();
      this.cancelCatchUp = () => (clearTimeout(timer), resolve());
    });
  }

  async idle(): Promise<void> {
    await this.catchUp;
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  /** Starts nothing more and waits for what runs. */
  async stop(): Promise<void> {
    this.cancelCatchUp();
    await Promise.allSettled([...this.running]);
  }

  private run(): void {
    if (!this.serving()) return;
    const run = this.profiles.afterRebuild().finally(() => this.running.delete(run));
    this.running.add(run);
  }
}
