import type { Migration } from './runner.js';

/** Warnings of an extraction that still succeeded (an unknown column type stored as text, …). */
export const syncWarnings: Migration = {
  version: 4,
  name: 'sync history warnings',
  statements: ['ALTER TABLE sync_history ADD COLUMN warnings VARCHAR'],
};
