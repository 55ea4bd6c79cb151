/**
 * The host's error catalogue: every code the host throws beyond core's general kinds, each
 * defined once with its status. docs/errors.md lists them all (tests/error-catalogue.test.ts
 * fails when the two disagree); throw these, never a code string.
 */
import {
  AuthenticationError,
  ConflictError,
  defineError,
  InputError,
  NotAllowedError,
  NotFoundError,
  RateLimitedError,
  StartupError,
  UnavailableError,
} from '@aida/core';

// Start-up: the instance cannot start (the CLI prints the code and message and exits 1).
export const ConfigInvalidError = defineError('AIDA_CONFIG_INVALID', 500, 'The instance configuration is invalid', StartupError);
export const PluginNotInstalledError = defineError('AIDA_PLUGIN_NOT_INSTALLED', 500, 'A plugin the configuration lists is not installed', StartupError);
export const PluginDependencyMissingError = defineError(
  'AIDA_PLUGIN_DEPENDENCY_MISSING',
  500,
  'A plugin depends on something no plugin provides',
  StartupError,
);
export const PluginDependencyCycleError = defineError('AIDA_PLUGIN_DEPENDENCY_CYCLE', 500, 'Plugins depend on each other in a cycle', StartupError);
export const PluginInitFailedError = defineError('AIDA_PLUGIN_INIT_FAILED', 500, 'A plugin failed to initialise', StartupError);
export const OverrideDuplicateError = defineError('AIDA_OVERRIDE_DUPLICATE', 500, 'A token is overridden twice', StartupError);
export const SchemaTooNewError = defineError('AIDA_SCHEMA_TOO_NEW', 500, 'The system database was written by a newer AIDA', StartupError);
export const DataDirInUseError = defineError('AIDA_DATA_DIR_IN_USE', 500, 'Another AIDA process uses this data directory', StartupError);
export const StateBackendUnavailableError = defineError('AIDA_STATE_BACKEND_UNAVAILABLE', 500, 'The state backend cannot be reached', StartupError);
export const JobsBackendUnavailableError = defineError('AIDA_JOBS_BACKEND_UNAVAILABLE', 500, 'The job backend cannot be reached', StartupError);

// Requests the HTTP layer refuses before any route runs.
/** A bad request koa or its body parser refused; the host answers with the status they gave. */
export const BadRequestError = defineError('AIDA_BAD_REQUEST', 400, 'The request cannot be read');
export const MethodNotAllowedError = defineError('AIDA_METHOD_NOT_ALLOWED', 405, 'This method is not allowed here');

// Sign-in, sessions and tokens.
export const BadCredentialsError = defineError('AIDA_BAD_CREDENTIALS', 401, 'Incorrect email or password', AuthenticationError);
export const TokenInvalidError = defineError('AIDA_TOKEN_INVALID', 401, 'Invalid token', AuthenticationError);
export const TokenExpiredError = defineError('AIDA_TOKEN_EXPIRED', 401, 'This token has expired', AuthenticationError);
export const TokenRevokedError = defineError('AIDA_TOKEN_REVOKED', 401, 'This token has been revoked', AuthenticationError);
export const AlreadyBootstrappedError = defineError('AIDA_ALREADY_BOOTSTRAPPED', 403, 'This instance already has users; sign in instead', NotAllowedError);
export const PatCannotMintError = defineError(
  'AIDA_PAT_CANNOT_MINT',
  403,
  'A personal access token cannot create tokens; sign in to create one',
  NotAllowedError,
);
export const CsrfTokenInvalidError = defineError(
  'AIDA_CSRF_INVALID',
  403,
  'This form is missing its security token or it is stale; reload the page and try again',
  NotAllowedError,
);
export const SetupTokenInvalidError = defineError('AIDA_SETUP_TOKEN_INVALID', 400, 'This setup link is invalid, expired or already used', InputError);
export const PasswordTooShortError = defineError('AIDA_PASSWORD_TOO_SHORT', 400, 'The password is too short', InputError);

// Users and roles.
export const UnknownRoleError = defineError('AIDA_UNKNOWN_ROLE', 400, 'Unknown role', InputError);
export const EmailTakenError = defineError('AIDA_EMAIL_TAKEN', 409, 'A user with this email already exists', ConflictError);
export const SelfChangeError = defineError(
  'AIDA_SELF_CHANGE',
  409,
  'You cannot change your own role, deactivate or delete yourself; ask another admin',
  ConflictError,
);
export const LastAdminError = defineError('AIDA_LAST_ADMIN', 409, 'This is the last active admin; make someone else admin first', ConflictError);

// Tables, access requests, files.
export const TableNotFoundError = defineError('AIDA_TABLE_NOT_FOUND', 404, 'No such table', NotFoundError);
export const TableForbiddenError = defineError('AIDA_TABLE_FORBIDDEN', 403, 'The table does not exist or you have no access to it', NotAllowedError);
export const AlreadyReadableError = defineError('AIDA_ALREADY_READABLE', 409, 'You can already read this table', ConflictError);
export const RequestPendingError = defineError('AIDA_REQUEST_PENDING', 409, 'You already have a pending request for this table', ConflictError);
export const MalformedFileError = defineError('AIDA_MALFORMED_FILE', 400, 'The file cannot be read', InputError);
export const RangeNotSatisfiableError = defineError('AIDA_RANGE_NOT_SATISFIABLE', 416, 'The range is outside the file');
export const AnalyticsNotReadyError = defineError(
  'AIDA_ANALYTICS_NOT_READY',
  503,
  'The analytics database has not been built yet: sync a source first',
  UnavailableError,
);

// MCP (/mcp) and the OAuth 2.1 endpoints hosted agents connect through.
export const McpTokenRequiredError = defineError(
  'AIDA_MCP_TOKEN_REQUIRED',
  401,
  'MCP needs an Authorization: Bearer token (a personal access token, a session token or an OAuth access token)',
  AuthenticationError,
);
export const McpOriginRefusedError = defineError('AIDA_MCP_ORIGIN_REFUSED', 403, 'Requests to /mcp from this web origin are not allowed', NotAllowedError);
export const McpSessionUnknownError = defineError(
  'AIDA_MCP_SESSION_UNKNOWN',
  404,
  'No such MCP session: it ended or expired; initialize a new one',
  NotFoundError,
);
export const McpSessionsFullError = defineError(
  'AIDA_MCP_SESSIONS_FULL',
  503,
  'The server holds as many MCP sessions as it may; try again shortly',
  UnavailableError,
);
export const McpClientNotFoundError = defineError('AIDA_MCP_CLIENT_NOT_FOUND', 404, 'No MCP client with that id is registered', NotFoundError);
export const OAuthRequestUnknownError = defineError(
  'AIDA_OAUTH_REQUEST_UNKNOWN',
  400,
  'This connection request is unknown or expired; start connecting again from your agent',
  InputError,
);
export const OAuthNeedsHttpsError = defineError(
  'AIDA_OAUTH_NEEDS_HTTPS',
  503,
  'OAuth for hosted agents needs the instance served over https: set instance.base_url',
  UnavailableError,
);

// Jobs.
export const JobUnknownError = defineError('AIDA_JOB_UNKNOWN', 400, 'Unknown job', InputError);
export const JobNotFoundError = defineError('AIDA_JOB_NOT_FOUND', 404, 'No such job', NotFoundError);
export const JobDisabledError = defineError('AIDA_JOB_DISABLED', 409, "The job is disabled in this instance's config", ConflictError);

// Notifications.
export const NotificationNotFoundError = defineError('AIDA_NOTIFICATION_NOT_FOUND', 404, 'No such notification', NotFoundError);

// Alerts (packages/host/src/alerts): rules on data that notify their owner.
export const AlertNotFoundError = defineError('AIDA_ALERT_NOT_FOUND', 404, 'No such alert rule', NotFoundError);
export const AlertScheduleInvalidError = defineError('AIDA_ALERT_SCHEDULE_INVALID', 400, 'The schedule is not a 5-field cron expression', InputError);
export const AlertChannelUnknownError = defineError('AIDA_ALERT_CHANNEL_UNKNOWN', 400, 'No notification channel with that id is registered', InputError);
export const AlertColumnUnknownError = defineError('AIDA_ALERT_COLUMN_UNKNOWN', 400, 'The rule names a column its SQL does not return', InputError);
export const AlertTemplateInvalidError = defineError('AIDA_ALERT_TEMPLATE_INVALID', 400, 'The message template cannot be read', InputError);
export const AlertLimitError = defineError('AIDA_ALERT_LIMIT', 409, 'You already have as many alert rules as a user may', ConflictError);

// Scripts (packages/host/src/scripts): JavaScript modules run in a sandbox that notify their owner.
export const ScriptsDisabledError = defineError(
  'AIDA_SCRIPTS_DISABLED',
  404,
  'Scripts are disabled on this instance; set scripts.enabled: true in instance.yaml to turn them on',
  NotFoundError,
);
export const ScriptsSandboxUnavailableError = defineError(
  'AIDA_SCRIPTS_SANDBOX_UNAVAILABLE',
  500,
  'scripts.enabled is true but the script sandbox (isolated-vm in a child process) cannot start',
  StartupError,
);
export const ScriptNotFoundError = defineError('AIDA_SCRIPT_NOT_FOUND', 404, 'No such script', NotFoundError);
export const ScriptInvalidError = defineError('AIDA_SCRIPT_INVALID', 400, 'The script does not compile as a module without imports', InputError);
export const ScriptsBusyError = defineError('AIDA_SCRIPTS_BUSY', 429, 'As many scripts are running as may at once; retry in a moment', RateLimitedError);
export const ScriptQueryLimitError = defineError('AIDA_SCRIPT_QUERY_LIMIT', 429, 'The run has made as many queries as one run may (scripts.max_queries)');

// The query API: the statement check, the engine, the answer.
export const QueryEmptyError = defineError('AIDA_QUERY_EMPTY', 400, 'sql is empty: send one SELECT statement', InputError);
export const QueryTooLongError = defineError('AIDA_QUERY_TOO_LONG', 400, 'sql is too long', InputError);
export const QuerySyntaxError = defineError('AIDA_QUERY_SYNTAX', 400, 'SQL syntax error', InputError);
export const QueryInvalidError = defineError('AIDA_QUERY_INVALID', 400, 'The statement was rejected by the SQL parser', InputError);
export const QueryMultipleStatementsError = defineError('AIDA_QUERY_MULTIPLE_STATEMENTS', 400, 'Send exactly one SELECT statement', InputError);
export const QueryNotSelectError = defineError('AIDA_QUERY_NOT_SELECT', 400, 'Only a single read-only SELECT statement is allowed', InputError);
export const QueryParametersError = defineError('AIDA_QUERY_PARAMETERS', 400, 'Query parameters are not supported: write the values into the SQL', InputError);
export const QueryUnsupportedError = defineError('AIDA_QUERY_UNSUPPORTED', 400, 'The query API does not support this statement', InputError);
export const QueryTooComplexError = defineError('AIDA_QUERY_TOO_COMPLEX', 400, 'The statement is nested too deeply to be checked; simplify it', InputError);
export const QueryForbiddenFunctionError = defineError('AIDA_QUERY_FORBIDDEN_FUNCTION', 400, 'This function is not allowed in queries', InputError);
export const QueryForbiddenReferenceError = defineError('AIDA_QUERY_FORBIDDEN_REFERENCE', 400, 'Only the analytics tables may be referenced', InputError);
export const QueryUnknownTableError = defineError('AIDA_QUERY_UNKNOWN_TABLE', 400, 'The table does not exist in the analytics database', InputError);
export const QueryLimitTooHighError = defineError('AIDA_QUERY_LIMIT_TOO_HIGH', 400, 'limit is higher than JSON answers allow', InputError);
export const QueryNotEnclosableError = defineError('AIDA_QUERY_NOT_ENCLOSABLE', 400, 'This statement cannot be exported as Parquet as written', InputError);
export const QueryResultTooLargeError = defineError('AIDA_QUERY_RESULT_TOO_LARGE', 400, 'The result is too large as JSON', InputError);
export const QueryFailedError = defineError('AIDA_QUERY_FAILED', 400, 'The query failed', InputError);
export const QuerySandboxError = defineError('AIDA_QUERY_SANDBOX', 403, 'The query was refused by the engine sandbox', NotAllowedError);
export const QueryBusyError = defineError('AIDA_QUERY_BUSY', 429, 'The query service is busy; retry in a moment', RateLimitedError);
/** The client went away and the query was stopped; nobody reads the answer (499, as nginx logs it). */
export const ClientGoneError = defineError('AIDA_CLIENT_GONE', 499, 'The client closed the connection; the query was stopped');

// Tables that stay at their source (remote): POST /api/query/remote and /api/query/hybrid.
export const TableRemoteError = defineError('AIDA_TABLE_REMOTE', 400, 'The table stays at its source: query it with POST /api/query/remote', InputError);
export const RemoteSourceUnknownError = defineError(
  'AIDA_REMOTE_SOURCE_UNKNOWN',
  400,
  'No connector with that name queries tables at their source',
  InputError,
);
export const RemoteSourceAmbiguousError = defineError(
  'AIDA_REMOTE_SOURCE_AMBIGUOUS',
  400,
  'Several sources could run this query: name one in `source`',
  InputError,
);
export const RemoteTableUnregisteredError = defineError(
  'AIDA_REMOTE_TABLE_UNREGISTERED',
  403,
  'The query reads source tables no AIDA table stands for',
  NotAllowedError,
);
export const RemoteScanTooLargeError = defineError('AIDA_REMOTE_SCAN_TOO_LARGE', 400, 'The query would scan more than one query may', InputError);
export const DailyByteCapExceededError = defineError(
  'AIDA_DAILY_BYTE_CAP_EXCEEDED',
  429,
  'Your bytes scanned at this source today would exceed the daily cap',
  RateLimitedError,
);
export const RemoteConcurrencyLimitError = defineError(
  'AIDA_REMOTE_CONCURRENCY_LIMIT',
  429,
  'You are running as many queries at this source as you may at once',
  RateLimitedError,
);
export const RemoteSourceFailedError = defineError('AIDA_REMOTE_SOURCE_FAILED', 502, 'The source failed to run the query');
export const HybridAliasInvalidError = defineError('AIDA_HYBRID_ALIAS_INVALID', 400, 'An alias of register_bq cannot name a table here', InputError);
export const HybridAliasTooLargeError = defineError('AIDA_HYBRID_ALIAS_TOO_LARGE', 400, 'A source query returns more rows than an alias may hold', InputError);

/** The engine ran out of time (504: the upstream — the engine — did not answer in time). */
export class QueryTimeoutError extends defineError('AIDA_QUERY_TIMEOUT', 504, 'The query ran longer than its time limit and was stopped') {
  constructor(timeoutMs: number) {
    const limit = timeoutMs % 1000 === 0 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`;
    super(`The query ran longer than the ${limit} limit and was stopped; narrow it down (filters, aggregates, LIMIT) and try again`, {
      detail: { timeout_ms: timeoutMs },
    });
  }
}
