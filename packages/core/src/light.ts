// `@aida/core/light`: the helpers that load nothing heavy (no DuckDB native module, no
// schemas), for code whose start-up time counts — `da`'s commands import these, not the barrel,
// which a `--cpu-prof` of `da sync` showed as most of its start. The barrel re-exports them.
export { SerialQueue, mapLimit } from './async.js';
export { formatBytes, formatDateTime, formatNumber, formatRelativeTime } from './format.js';
export { quoteIdent, sqlString } from './identifiers.js';
