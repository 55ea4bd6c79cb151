/**
 * Who else may still read a source's Parquet files. The extract only knows which files it
 * lists; readers outside it (an analytics database built over an earlier extract, a download
 * in flight) are known to whoever runs them, so a host hands its writers one of these and the
 * writers' garbage collection never deletes a file it reports as retained.
 *
 * Contract for implementers: a file not retained at the moment it is asked about must not
 * become retained except by a reader that read the extract between commits (`betweenCommits`)
 * or already holds another reference to it; otherwise a collection may delete it meanwhile.
 * When the last reader of a file lets go, the host collects the source again
 * (`collectExtractGarbage`), since no commit may come for a long time.
 */
export interface FileRetention {
  /** True while something may still read the file (`path` is absolute). */
  isRetained(path: string): boolean;
}
