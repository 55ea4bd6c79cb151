/** The outcome of one extraction run: what the job logs and reports. */

/** What a run did, for the job's log line and the admin who asked for it. */
export interface ExtractionOutcome {
  /** Notes uploaded. */
  notes_seen: number;
  /** Notes new or changed since the last run (or failed last time): the ones looked at. */
  notes_changed: number;
  /** Notes whose extraction failed; they are tried again next run. */
  notes_failed: number;
  /** Changed notes not looked at because the run's LLM budget ran out or the run was stopped; next run takes them. */
  notes_deferred: number;
  items_created: number;
  /** Existing items a candidate merged into (named by the model or found by the near-duplicate rule) that changed. */
  items_merged: number;
  /** Candidates that matched an existing item and changed nothing (the same note again). */
  items_unchanged: number;
  /** Candidates the sensitivity check dropped; `dropped` says whose and why. */
  dropped_unsafe: number;
  /** Secrets replaced in the notes before they were sent anywhere. */
  secrets_scrubbed: number;
  llm: { provider: string; calls: number; input_tokens: number; output_tokens: number; exhausted: boolean };
  /** The notes that failed: whose, and the error (code and message). */
  failures: { user_id: string; error: string }[];
  /** The dropped candidates: whose note, and the rule (never the text, which may be the personal data). */
  dropped: { user_id: string; reason: string }[];
  /** The run was stopped (host shutdown, lock lost) before it looked at every changed note. */
  aborted: boolean;
}

/** An outcome with nothing done yet; `provider` is the backend's id. */
export function emptyOutcome(provider: string): ExtractionOutcome {
  return {
    notes_seen: 0,
    notes_changed: 0,
    notes_failed: 0,
    notes_deferred: 0,
    items_created: 0,
    items_merged: 0,
    items_unchanged: 0,
    dropped_unsafe: 0,
    secrets_scrubbed: 0,
    llm: { provider, calls: 0, input_tokens: 0, output_tokens: 0, exhausted: false },
    failures: [],
    dropped: [],
    aborted: false,
  };
}
