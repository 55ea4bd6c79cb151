import 'reflect-metadata';

// The public API of @aida/core, listed name by name: what plugins and the host may use. Internals
// (SQL of the extract schema, file digests, value conversion) stay inside the package.

// Errors: typed, each code defined once (docs/errors.md)
export {
  AidaError,
  AuthenticationError,
  ConflictError,
  InputError,
  InternalError,
  InvalidIdentifierError,
  NotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  StartupError,
  UnavailableError,
  UnknownUserError,
  UserDeactivatedError,
  ValidationError,
  defineError,
  inputErrorFrom,
  isAidaError,
  isErrorClass,
  type AidaErrorOptions,
  type ErrorClass,
  type ErrorDefinition,
  type ErrorDetail,
  type ErrorHttpStatus,
  type InputIssue,
  type InputOpts,
} from './errors.js';
export * from './errors/llm.js';
// Names that may reach SQL, and small async helpers
export { COLUMN_NAME_PATTERN, IDENTIFIER_PATTERN, assertIdentifier, isValidIdentifier, quoteColumnName, quoteIdent, sqlString } from './identifiers.js';
export { SerialQueue, mapLimit } from './async.js';
export * from './retry.js';
// Numbers, sizes and times for people (the portal and da)
export { formatBytes, formatDateTime, formatNumber, formatRelativeTime } from './format.js';
// Config: validation, env references, durations, sizes, declared secrets
export {
  REDACTED,
  SecretRedactor,
  formatByteSize,
  formatDuration,
  interpolateEnv,
  parseByteSize,
  parseDuration,
  redactText,
  validateConfig,
  zByteSize,
  zDuration,
  zSecret,
  zSecretEnv,
  type ConfigIssue,
  type EnvProblem,
  type EnvSource,
  type MeasureBounds,
  type SecretEnvOptions,
  type SecretSink,
  type ValidateConfigOptions,
} from './config.js';
// DI tokens and plugin definitions
export { createToken, tokens, type HostInfo, type ResolvedDeps, type Token, type TokenType } from './tokens.js';
export {
  PLUGIN_API_VERSION,
  PLUGIN_ID_PATTERN,
  PLUGIN_MARKER,
  definePlugin,
  type AnyPlugin,
  type PluginDefinition,
  type PluginInitContext,
  type PluginKind,
  type PluginOptions,
} from './plugin.js';
// DuckDB
export { insertJsonRows, plainValue, queryRows, type PlainValue, type SqlParams } from './duckdb.js';
// Contracts
export {
  type Connector,
  type ConnectorRegistry,
  type SourceWrites,
  type DiscoveredTable,
  type ExtractReport,
  type ExtractRequest,
  type TableOutcome,
} from './contracts/connector.js';
export { type RemoteEstimate, type RemoteQueryEngine, type RemoteQueryLimits, type RemoteResult, type RemoteRunOptions } from './contracts/remote-query.js';
export { type AuthProvider, type AuthProviderRegistry, type LoginEntry, type VerifiedIdentity } from './contracts/auth-provider.js';
export { type HealthStatus, type Service, type ServiceHealth, type ServiceRegistry } from './contracts/service.js';
export { type Orchestrator, type OrchestratorEvent, type RebuildResult } from './contracts/orchestrator.js';
export {
  ROLES,
  type AnswerDoc,
  type BodyType,
  type ErrorStatus,
  type OtherAnswerStatus,
  type Role,
  type RouteAccess,
  type RouteDefinition,
  type RouteInput,
  type RouteOutput,
  type RouteRegistry,
  type SuccessStatus,
} from './contracts/routes.js';
export { type DashboardPanel, type NavigationEntry, type ViewRegistry } from './contracts/views.js';
export { type RequestUser } from './contracts/request.js';
export { mailerToken, type MailMessage, type Mailer } from './contracts/mail.js';
export {
  type DataFreshness,
  type DeliveryOutcome,
  type Notification,
  type NotificationChannel,
  type NotificationChart,
  type NotificationRequest,
  type Notifications,
  type SentNotification,
  type TableFreshness,
} from './contracts/notifications.js';
export { type AnalystNote, type AnalystNotes, type PluginDatabase, type PluginMigration, type SqlStatements } from './contracts/database.js';
export { type JobContext, type JobHandler, type JobOptions, type JobOutcome, type JobRegistry } from './contracts/jobs.js';
export { type AidaHost, type SyncResult } from './contracts/host.js';
export { type IssuedSession, type OneTimeTokens, type RateLimits, type SessionIssuer, type UserDirectory, type UserSummary } from './contracts/identity.js';
export {
  LLM_SCHEMA_NAME_PATTERN,
  type LlmAnswer,
  type LlmFailure,
  type LlmFailureKind,
  type LlmMessage,
  type LlmProvider,
  type LlmRequest,
  type LlmUsage,
} from './contracts/llm.js';
// The extract contract: the writer connectors use and what the host reads back
export { ExtractWriter, type CommitSummary, type RemoteTableOptions, type TableOptions, type WriterOptions } from './extract/writer.js';
export {
  DELETED_COLUMN,
  type AppendMode,
  type Granularity,
  type MergeMode,
  type PartitionBy,
  type ReplaceMode,
  type WriteMode,
  type WriteResult,
} from './extract/modes.js';
export { EMPTY_PART, NULL_PART } from './extract/partitions.js';
export { readExtract } from './extract/read.js';
export { betweenCommits } from './extract/sources.js';
export { collectExtractGarbage, type CollectOptions } from './extract/garbage.js';
export type { FileRetention } from './extract/retention.js';
export { fsyncPath } from './extract/extract-db.js';
export { FILE_COLUMNS, META_COLUMNS, type FileRow, type MetaRow } from './extract/schema.js';
export { type FileDigest } from './extract/hash.js';
// Route input and shared HTTP schemas
export { body, param, query, validateInput } from './http/input.js';
export { readRawBody } from './http/raw-body.js';
export { isoTimestamp, issuedSessionSchema, roleSchema } from './http/schemas.js';
export { mountPrefix } from './http/mount.js';
export { safeNext } from './http/redirects.js';
export * from './mcp/index.js'; // MCP: the tools both MCP servers offer, their schemas, answer budget and paging rules
