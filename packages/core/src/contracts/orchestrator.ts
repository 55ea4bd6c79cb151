export interface RebuildResult {
  /** Views created in the analytics database. */
  tables: number;
  sources: number;
  /** Identifiers and tables that were skipped, with the reason. */
  warnings: string[];
  durationMs: number;
}

export type OrchestratorEvent = { type: 'rebuilt'; result: RebuildResult; at: Date } | { type: 'rebuild-failed'; error: Error; at: Date };

/** Builds the analytics database from every extract and swaps it in atomically. */
export interface Orchestrator {
  rebuild(): Promise<RebuildResult>;
  /** Rebuilds after one source changed (the whole database is still written fresh). */
  rebuildSource(source: string): Promise<RebuildResult>;
  on(listener: (event: OrchestratorEvent) => void): () => void;
}
