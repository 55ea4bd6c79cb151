export { startTestHost, type StartTestHostOptions, type TestHost } from './test-host.js';
export { TEST_ADMIN, type TestUserOptions } from './sign-in.js';
export type { JobOutcome } from './run-job.js';
export type { AuthenticatedFetch, ContractHost } from '@aida/core/testing';
export type { TokenOverride, TokenOverrides } from '../plugins/overrides.js';
