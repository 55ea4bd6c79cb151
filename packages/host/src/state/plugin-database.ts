import type { PluginDatabase, PluginMigration } from '@aida/core';
import { SchemaTooNewError } from '../errors.js';
import { ddlFor, MIGRATION_LOCK } from './migrations/runner.js';
import type { SystemDb } from './system-db.js';

/**
 * A plugin's view of the system database: the host's connection and queue, and migrations
 * recorded under the plugin's id in `plugin_schema_version`, each in its own transaction.
 */
export function pluginDatabase(db: SystemDb, pluginId: string): PluginDatabase {
  return {
    all: (sql, params) => db.all(sql, params),
    run: (sql, params) => db.run(sql, params),
    transaction: (fn) => db.transaction(fn),
    async migrate(migrations: readonly PluginMigration[]) {
      const latest = Math.max(0, ...migrations.map((m) => m.version));
      const [{ v }] = await db.all<{ v: number | null }>('SELECT max(version) AS v FROM plugin_schema_version WHERE plugin_id = ?', [pluginId]);
      const from = v ?? 0;
      if (from > latest) {
        throw new SchemaTooNewError(
          `plugin '${pluginId}' has schema version ${from} in ${db.path}, but the installed version of the plugin knows versions up to ${latest}. ` +
            'Install the version of the plugin that wrote it, or restore a backup made before the upgrade.',
          { detail: { plugin: pluginId, schema_version: from, supported: latest } },
        );
      }
      const applied: number[] = [];
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (m.version <= from) continue;
        const done = await db.transaction(async (tx) => {
          // Another host of the instance may be applying it right now (PostgreSQL): wait, then skip it.
          if (db.dialect === 'postgres') {
            await tx.all(MIGRATION_LOCK);
            const [{ n }] = await tx.all<{ n: number }>('SELECT count(*) AS n FROM plugin_schema_version WHERE plugin_id = ? AND version = ?', [
              pluginId,
              m.version,
            ]);
            if (n > 0) return false;
          }
          for (const sql of m.statements) await tx.run(ddlFor(db, sql));
          await tx.run('INSERT INTO plugin_schema_version (plugin_id, version, name) VALUES (?, ?, ?)', [pluginId, m.version, m.name]);
          return true;
        });
        if (done) applied.push(m.version);
      }
      return { from, to: Math.max(from, latest), applied };
    },
  };
}
