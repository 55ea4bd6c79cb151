/**
 * The `memory:extract` job: one extraction run over the notes that changed, on the config's
 * schedule and on demand (`POST /api/admin/jobs/memory:extract/run`). A job handler reports
 * nothing but success or failure (core's JobHandler resolves to void), so the outcome goes to
 * the log, one line per run, and to `onOutcome`. The run fails only when every changed note it
 * looked at failed: then the job's error is that of the first note (an `LLM_*` code), which is
 * what an admin needs to see in the job's runs; partial failures are retried next run.
 */
import type { AnalystNotes, JobRegistry } from '@aida/core';
import type { MemoryConfig } from '../config.js';
import { createProvider, type ExtractionBackend } from '../llm/config.js';
import { runExtraction, type ExtractionOutcome, type ExtractionStore, type ExtractLogger } from './run.js';

/** The job's name within the plugin (`memory:extract` on the host). */
export const EXTRACT_JOB = 'extract';

export interface ExtractJobDeps {
  store: ExtractionStore;
  notes: AnalystNotes;
  config: Pick<MemoryConfig, 'extract' | 'llm'>;
  logger: ExtractLogger;
  /** The model or offline extractor; default `createProvider(config.llm)`. */
  backend?: ExtractionBackend;
  /** Told of every run's outcome (tests, a status page). */
  onOutcome?: (outcome: ExtractionOutcome) => void;
}

export interface ExtractJob {
  /** One run now, outside the scheduler (what the job's handler does). */
  run(signal?: AbortSignal): Promise<ExtractionOutcome>;
}

/** Defines `extract` on the plugin's job registry and returns the run it performs. */
export function defineExtractJob(jobs: JobRegistry, deps: ExtractJobDeps): ExtractJob {
  const backend = deps.backend ?? createProvider(deps.config.llm);
  const run = async (signal?: AbortSignal): Promise<ExtractionOutcome> => {
    let firstFailure: unknown;
    const outcome = await runExtraction({
      notes: deps.notes,
      store: deps.store,
      backend,
      approval: deps.config.extract.approval,
      budget: deps.config.llm,
      logger: deps.logger,
      signal,
      onNoteFailed: (_user, error) => (firstFailure ??= error),
    });
    const { failures, dropped, ...summary } = outcome;
    const attention = outcome.notes_failed > 0 || outcome.llm.exhausted || outcome.aborted;
    (attention ? deps.logger.warn : deps.logger.info).call(deps.logger, { ...summary, failures, dropped }, 'memory extraction finished');
    deps.onOutcome?.(outcome);
    const lookedAt = outcome.notes_changed - outcome.notes_deferred;
    if (outcome.notes_failed > 0 && outcome.notes_failed === lookedAt) throw firstFailure ?? new Error(failures[0]?.error ?? 'every note failed');
    return outcome;
  };
  jobs.define(EXTRACT_JOB, async ({ signal }) => ({ ...(await run(signal)) }), {
    schedule: deps.config.extract.schedule,
    // A run makes up to llm.max_calls_per_run calls of up to llm.timeout each, with retries: give it room.
    lockLifetime: '2h',
    // Two runs at once would both see the same notes as changed and ask about them twice.
    concurrency: 1,
  });
  return { run };
}
