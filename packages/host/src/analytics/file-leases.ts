import { resolve } from 'node:path';
import type { FileRetention } from '@aida/core';

/** A hold on some files; `release()` lets go of them (once, however often it is called). */
export interface FileLease {
  release(): void;
}

/**
 * Who in this host still reads which extract file: every open analytics generation holds the
 * files its views read, the orchestrator those of the database it is building and of the one
 * on disk, a download the file it streams. Extract writers ask `isRetained` before deleting a
 * file; when the last holder of a file lets go, the listeners hear of it so its source can be
 * collected again. New holds are only ever taken on files already held, or right after reading
 * an extract between commits, as FileRetention asks.
 */
export class FileLeases implements FileRetention {
  private readonly counts = new Map<string, number>();
  private readonly listeners = new Set<(paths: string[]) => void>();

  hold(paths: Iterable<string>): FileLease {
    const held = [...paths].map((p) => resolve(p));
    for (const p of held) this.counts.set(p, (this.counts.get(p) ?? 0) + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.letGo(held);
      },
    };
  }

  isRetained(path: string): boolean {
    return this.counts.has(resolve(path));
  }

  /** `listener` hears the paths nobody holds any more, right after their last holder let go. */
  onReleased(listener: (paths: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private letGo(paths: string[]): void {
    const freed: string[] = [];
    for (const p of paths) {
      const n = (this.counts.get(p) ?? 0) - 1;
      if (n > 0) this.counts.set(p, n);
      else if (this.counts.delete(p)) freed.push(p);
    }
    if (!freed.length) return;
    for (const l of this.listeners) l(freed);
  }
}

/** Releases every lease of a list (a build holds one per source). */
export function releaseAll(leases: readonly FileLease[]): void {
  for (const l of leases) l.release();
}
