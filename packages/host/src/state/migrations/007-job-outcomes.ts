import type { Migration } from './runner.js';

/** What a job run reported (its handler's result: counts, LLM usage), kept with the run. */
export const jobOutcomes: Migration = {
  version: 7,
  name: 'job outcomes',
  statements: ['ALTER TABLE job_runs ADD COLUMN outcome JSON'],
};
