export { startTestHost, type StartTestHostOptions, type TestHost, type TestPluginEntry } from './test-host.js';
export { describeConnectorContract, type ConnectorFixture } from './connector-contract.js';
export { describeAuthProviderContract, type AuthProviderFixture } from './auth-provider-contract.js';
