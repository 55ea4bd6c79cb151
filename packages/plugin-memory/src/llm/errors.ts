// The LLM errors are in the package's catalogue (src/errors.ts), with its other codes.
export * from '../errors.js';
