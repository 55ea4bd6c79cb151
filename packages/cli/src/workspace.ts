// The analyst's workspace: the current directory unless DA_LOCAL_DIR names another.
//   server/parquet/<table>.parquet        read-only copies of the server's tables
//   server/parquet/<table>/<part>.parquet partitioned tables, one file per part
//   server/profiles.json                  column profiles, for `da explore` offline (profiles-file.ts)
//   user/duckdb/analytics.duckdb          views over server/parquet + the analyst's own tables
//   .da/sync-state.json                   what the last `da sync` put here (hashes, sizes)
import { resolve, join } from 'node:path';

export interface Workspace {
  root: string;
  parquetDir: string;
  /** The column profiles of the synced tables (profiles-file.ts). */
  profilesPath: string;
  /** Where profiles were kept one file per table before server/profiles.json (moved over by profiles-file.ts). */
  legacyProfilesDir: string;
  duckdbPath: string;
  statePath: string;
}

export function workspace(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Workspace {
  const root = resolve(cwd, env.DA_LOCAL_DIR || '.');
  return {
    root,
    parquetDir: join(root, 'server', 'parquet'),
    profilesPath: join(root, 'server', 'profiles.json'),
    legacyProfilesDir: join(root, 'server', 'profiles'),
    duckdbPath: join(root, 'user', 'duckdb', 'analytics.duckdb'),
    statePath: join(root, '.da', 'sync-state.json'),
  };
}

/** Part names as the server's extract writer makes them; anything else is refused, not renamed. */
export const PART_NAME = /^[A-Za-z0-9_=-]{1,64}$/;

/** Relative path (from the workspace root) of a table's file or of one of its parts. */
export function tableFile(table: string, part?: string): string {
  return part === undefined ? join('server', 'parquet', `${table}.parquet`) : join('server', 'parquet', table, `${part}.parquet`);
}
