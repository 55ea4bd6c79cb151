import type { Migration } from './runner.js';

/**
 * Plugins keep their own tables in the system database (core's PluginDatabase) and record
 * the schema versions they applied here, per plugin. The knowledge tables planned in the
 * first schema were never used: corporate memory is the memory plugin's, with its own tables.
 */
export const pluginSchemas: Migration = {
  version: 6,
  name: 'plugin schemas',
  statements: [
    `CREATE TABLE plugin_schema_version (
      plugin_id VARCHAR NOT NULL,
      version INTEGER NOT NULL,
      name VARCHAR NOT NULL,
      applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
      PRIMARY KEY (plugin_id, version)
    )`,
    'DROP TABLE knowledge_votes',
    'DROP TABLE knowledge_items',
  ],
};
