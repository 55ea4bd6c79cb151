import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

export type FileFormat = 'csv' | 'parquet' | 'json';

const FORMATS: Record<string, FileFormat> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.parquet': 'parquet',
  '.json': 'json',
  '.jsonl': 'json',
  '.ndjson': 'json',
};

export interface DataFile {
  /** Table name derived from the file name (`Order Items.csv` → `Order_Items`). */
  table: string;
  file: string;
  path: string;
  format: FileFormat;
  size: number;
  modifiedAt: Date;
}

/** File name → table name: non-identifier characters become `_`, a leading digit gets a `_`. */
export function tableNameFor(fileName: string): string {
  const base = fileName.slice(0, fileName.length - extname(fileName).length);
  const cleaned = base.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

/** The data files of a folder (not recursive), sorted by name. */
export async function listDataFiles(folder: string): Promise<DataFile[]> {
  if (!existsSync(folder)) return [];
  const out: DataFile[] = [];
  for (const name of (await readdir(folder)).sort()) {
    const format = FORMATS[extname(name).toLowerCase()];
    if (!format || name.startsWith('.')) continue;
    const path = join(folder, name);
    const s = await stat(path);
    if (!s.isFile()) continue;
    out.push({ table: tableNameFor(name), file: name, path, format, size: s.size, modifiedAt: s.mtime });
  }
  return out;
}
