export { default, googleAuthPlugin } from './plugin.js';
export { googleConfigSchema, GOOGLE_ENDPOINTS, GOOGLE_ISSUERS, type GoogleConfig } from './config.js';
