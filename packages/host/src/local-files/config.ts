import { z } from 'zod';

export const localFilesConfigSchema = z
  .object({
    sources: z
      .array(
        z
          .object({
            /** Source name: the folder under extracts/ and the catalog's source. */
            name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/, 'must be a valid identifier (letters, digits, _; not starting with a digit)'),
            /** Folder of CSV, Parquet and JSON files; relative paths are resolved from the working directory. */
            path: z.string().min(1),
            description: z.string().optional(),
          })
          .strict(),
      )
      .min(1, 'list at least one source folder'),
    /** Largest file an admin may upload into a source (POST /api/local-files/sources/{source}/tables/{table}). */
    max_upload_mb: z.number().positive().max(100_000).default(200),
  })
  .strict();

export type LocalFilesConfig = z.output<typeof localFilesConfigSchema>;
