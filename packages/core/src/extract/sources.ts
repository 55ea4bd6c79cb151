import { resolve } from 'node:path';
import { SerialQueue } from '../async.js';
import type { ExtractWriter } from './writer.js';

/**
 * Writers of one source may run at once (one per table, say, so a slow table never holds up
 * another). What they share, per source folder: the writers still open (the files they put in
 * place are not garbage, their staging folders not stale), which writer holds which table (two
 * writers of one table would lose one's data), and two chains that run work one at a time.
 */
export interface SourceState {
  /** Open writers, each with the absolute paths of the files it has put in place. */
  writers: Map<ExtractWriter, () => Iterable<string>>;
  /** Staging folders of writers opening or open. */
  staging: Set<string>;
  /** The crash-leftover cleaning the first writer to open runs. */
  cleaned: Promise<void>;
  claims: Map<string, ExtractWriter>;
  /**
   * Commits, garbage collections and readers taking hold of the extract's files
   * (`betweenCommits`): each sees the extract as the one before it left it.
   */
  commits: SerialQueue;
  /** Sweeps and file placements: a sweep never deletes a file a writer is just putting in place. */
  files: SerialQueue;
}

// On globalThis under a Symbol.for key, like tokens: two copies of @aida/core loaded side by
// side (a plugin with its own nested copy) must still share one state per source folder.
const SOURCES = Symbol.for('aida:extract-sources');
const sources: Map<string, SourceState> = ((globalThis as Record<symbol, unknown>)[SOURCES] ??= new Map<string, SourceState>()) as Map<string, SourceState>;

/** The shared state of the source folder `dir` (an absolute path). */
export function sourceState(dir: string): SourceState {
  let s = sources.get(dir);
  if (!s) {
    s = { writers: new Map(), staging: new Set(), cleaned: Promise.resolve(), claims: new Map(), commits: new SerialQueue(), files: new SerialQueue() };
    sources.set(dir, s);
  }
  return s;
}

/** Runs `fn` after everything queued on the chain before it has settled. */
export function serialize<T>(state: SourceState, chain: 'commits' | 'files', fn: () => Promise<T>): Promise<T> {
  return state[chain].run(fn);
}

/**
 * Runs `fn` while no commit or garbage collection of the source runs. A reader that reads the
 * extract and takes hold of its files inside `fn` (see FileRetention) cannot lose them to a
 * commit that lands in between. Keep `fn` short: commits of the source wait for it.
 */
export function betweenCommits<T>(sourceDir: string, fn: () => Promise<T>): Promise<T> {
  return serialize(sourceState(resolve(sourceDir)), 'commits', fn);
}
