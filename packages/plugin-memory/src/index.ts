// @aida/plugin-memory: corporate memory.
// The LLM layer: providers behind core's LlmProvider, retries, run budgets, the offline extractor, the `llm:` config.
export * from './llm/index.js';
export { default, memoryPlugin } from './plugin.js';
export { memoryConfigSchema, type ApprovalMode, type MemoryConfig } from './config.js';
export * from './errors.js';
export * from './store/index.js';
export { buildBundle, tokensOf, type BundleItem, type MemoryBundle } from './bundle.js';
export * from './extract/index.js';
