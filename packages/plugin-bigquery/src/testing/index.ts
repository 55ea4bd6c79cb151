// `@aida/plugin-bigquery/testing`: a local fake of BigQuery (REST v2 and Google's OAuth2 token
// endpoint for service accounts) for the connector's tests and benchmarks. See fake-bigquery.ts.
export { FakeBigQuery, startFakeBigQuery, type StartFakeBigQueryOptions } from './fake-bigquery.js';
export { GOOGLE_TOKEN_URL, type ServiceAccountKey, type TokenGrant } from './fake-auth.js';
export { GENERATED_COLUMNS } from './fake-generated.js';
export type * from './fake-model.js';
