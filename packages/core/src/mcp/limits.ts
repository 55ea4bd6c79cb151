// How much one MCP tool answer may hold and how far a result may be paged. Both AIDA MCP
// servers (`da mcp` on the laptop, /mcp in the host) apply these, so an agent meets the same
// rules on either side. Peers cut results silently (at 1,024 or 10,000 rows, or at a character
// cap); here a result is never cut: it is paged, or refused with what to do instead.

/** Characters of JSON one tool answer may hold (the text an agent reads). */
export const MCP_RESULT_BUDGET_CHARS = 50_000;

/** The smallest budget a server may be configured with: below it a page of a wide table holds nothing useful. */
export const MCP_MIN_RESULT_BUDGET_CHARS = 2_000;

/**
 * The largest query result that is paged rather than refused, in rows and in characters of
 * JSON (about 500 pages). Past this, paging is the wrong tool: aggregate, or export the rows
 * with the CLI (`da query -f csv`), which writes files instead of filling a model's context.
 */
export const MCP_PAGED_MAX_ROWS = 1_000_000;
export const MCP_PAGED_MAX_CHARS = 25_000_000;

/** How long a paged result is kept after its last page was read, and how many are kept at once. */
export const MCP_RESULT_TTL_MS = 15 * 60_000;
export const MCP_RESULTS_KEPT = 4;

/** Longest SQL text the query tool accepts (the same as POST /api/query). */
export const MCP_MAX_SQL_LENGTH = 100_000;

/** What to do with a result that is too big, in the words every refusal uses. */
export const MCP_NARROWING_HINT = 'add a LIMIT, aggregate (GROUP BY with count/sum/avg), filter with WHERE, or select fewer columns';
