// startTestHost lives in @aida/host/testing: a host starter here would make core depend on the host.
export type { AuthenticatedFetch, ContractHost } from './contract-host.js';
export { describeConnectorContract, type ConnectorFixture } from './connector-contract.js';
export { describeWriteModesContract, type ContractRow, type SourceChange, type WriteModesFixture } from './write-modes-contract.js';
export { describeAuthProviderContract, type AuthProviderFixture } from './auth-provider-contract.js';
