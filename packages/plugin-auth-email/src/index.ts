export { emailAuthPlugin as default } from './plugin.js';
export { emailConfigSchema, type EmailConfig, type SmtpConfig } from './config.js';
export { InvalidSignInLinkError } from './errors.js';
