/**
 * Typed errors. Plugins throw these; the host maps them to HTTP status codes in one
 * place (its error middleware), so a plugin never chooses a status code by hand.
 */
export * from './errors/define.js';
export * from './errors/catalogue.js';
