/**
 * The shapes of a table profile (what `profileTable` returns, the service stores and the API
 * serves) and of the options that tune it, with their defaults. Types only, plus the two
 * default objects: every other profile module depends on this one, it depends on none.
 */

export type ColumnKind = 'numeric' | 'string' | 'boolean' | 'temporal' | 'nested' | 'other';

export interface HistogramBin {
  /**
   * Equal-width bins are (lower, upper], the first one including its lower bound. An integer
   * column spanning no more values than there are bins gets one bin per value v: (v - 1, v].
   */
  lower: number;
  upper: number;
  count: number;
}

export interface PeriodBin {
  /** `2024-03-15`, `2024-03`, `2024` or `2020s`, depending on `histogram_unit`; periods without values are left out. */
  period: string;
  count: number;
}

export interface ColumnProfile {
  name: string;
  /** DuckDB type as DESCRIBE shows it. */
  type: string;
  kind: ColumnKind;
  null_count: number;
  /** Percentage 0–100 of the profiled rows. */
  null_pct: number;
  distinct_count: number;
  /** True when `distinct_count` is approx_count_distinct (HyperLogLog), not an exact count. */
  distinct_approx: boolean;
  min?: number | string | boolean | null;
  max?: number | string | boolean | null;
  // numbers
  mean?: number | null;
  /** Sample standard deviation (stddev_samp). */
  stddev?: number | null;
  percentiles?: { p5: number; p25: number; p50: number; p75: number; p95: number } | null;
  zeros_count?: number;
  /** FLOAT/DOUBLE only: NaN and ±Infinity are counted here and left out of every other statistic. */
  nan_count?: number;
  inf_count?: number;
  histogram?: HistogramBin[] | PeriodBin[];
  // strings
  min_length?: number | null;
  max_length?: number | null;
  mean_length?: number | null;
  empty_count?: number;
  /** Most frequent values, most frequent first, with exact counts. */
  top_values?: { value: string; count: number }[];
  // booleans
  true_count?: number;
  false_count?: number;
  // dates and timestamps
  histogram_unit?: 'day' | 'month' | 'year' | 'decade';
}

export type AlertType = 'constant' | 'unique' | 'missing' | 'high_missing' | 'zeros' | 'imbalance' | 'high_cardinality';

export interface ProfileAlert {
  column: string;
  type: AlertType;
  message: string;
  /** The measured value: a percentage for ratio alerts, the distinct count or the constant value otherwise. */
  value: number | string | boolean | null;
}

export interface TableProfile {
  table: string;
  /** True row count of the table, also when the statistics come from a sample. */
  rows: number;
  columns: ColumnProfile[];
  sampled: boolean;
  /** `system` (vectors of 2,048 rows) or `reservoir` (uniform rows) when sampled; null otherwise. */
  sample_method: 'system' | 'reservoir' | null;
  /** Rows the statistics were computed on when sampled; null otherwise. */
  sample_size: number | null;
  /** How distinct counts and percentiles were computed for this profile. */
  methods: { distinct: 'count_distinct' | 'approx_count_distinct'; percentiles: 'quantile_cont' | 'approx_quantile'; top_values: 'approx_top_k candidates, exact counts' };
  profiled_at: string;
  duration_ms: number;
  alerts: ProfileAlert[];
  /** Queries that read table data: 2, plus 1 materialising the sample when sampled (count(*) reads only metadata). */
  scans: number;
  /** Set by the profile service: identifies the data the profile describes. */
  fingerprint?: string;
  /** Set when reading a stored profile whose table data has changed since. */
  stale?: boolean;
}

export interface AlertThresholds {
  /** Fraction of nulls above which a column gets `missing` (default 0.05). */
  missing: number;
  /** Fraction of nulls above which it gets `high_missing` instead (default 0.30). */
  highMissing: number;
  /** Fraction of zeros above which a numeric column gets `zeros` (default 0.5). */
  zeros: number;
  /** Share of the most frequent value among non-null values of a string/boolean column (default 0.6). */
  imbalance: number;
  /** Distinct values as a fraction of rows above which a string column gets `high_cardinality` (default 0.5)… */
  highCardinality: number;
  /** …provided it also has more than this many distinct values (default 50). */
  highCardinalityMin: number;
}

export interface ProfileOptions {
  /** Tables with more rows than this are profiled on a sample (default 5,000,000). */
  sampleThreshold?: number;
  /** Rows in the sample, roughly for a system sample (default 1,000,000). */
  sampleSize?: number;
  /**
   * How to sample (default: `system` for samples of 100,000 rows or more, else `reservoir`,
   * since a system sample picks whole vectors of 2,048 rows).
   */
  sampleMethod?: 'system' | 'reservoir';
  /** Seed of the sample (default 42); repeatable only where DuckDB's sampling is (single-threaded scans). */
  seed?: number;
  /** Exact distinct counts and percentiles up to this many profiled rows; approximate above (default 1,000,000). */
  exactMaxRows?: number;
  /** Top values per string column (default 10). */
  topK?: number;
  /** Equal-width bins per numeric histogram (default 10). */
  bins?: number;
  /** Strings in the profile (min, max, top values) are cut to this many characters (default 200). */
  maxValueLength?: number;
  alerts?: Partial<AlertThresholds>;
}

/** The options with every default filled in (alert thresholds and the sample method apart). */
export type ResolvedProfileOptions = Required<Omit<ProfileOptions, 'alerts' | 'sampleMethod'>>;

export const DEFAULT_PROFILE_OPTIONS: ResolvedProfileOptions = {
  sampleThreshold: 5_000_000,
  sampleSize: 1_000_000,
  seed: 42,
  exactMaxRows: 1_000_000,
  topK: 10,
  bins: 10,
  maxValueLength: 200,
};

export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = {
  missing: 0.05,
  highMissing: 0.3,
  zeros: 0.5,
  imbalance: 0.6,
  highCardinality: 0.5,
  highCardinalityMin: 50,
};
