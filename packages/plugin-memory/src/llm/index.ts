// The LLM layer of corporate memory: providers behind core's LlmProvider contract, retries, a
// run's budget, the offline extractor and the `llm:` config. The errors they throw are core's (`LlmError`, …).
export { AnthropicProvider, ANTHROPIC_BASE_URL, type AnthropicProviderOptions } from './anthropic.js';
export { OpenAiCompatibleProvider, OPENAI_BASE_URL, type OpenAiCompatibleProviderOptions, type TokenLimitField } from './openai-compatible.js';
export { KNOWLEDGE_CATEGORIES, OfflineExtractor, extractOffline, type KnowledgeCategory, type OfflineItem } from './offline.js';
export { retrying } from './retry.js';
export { LlmBudget, type BudgetLimits, type BudgetReport } from './budget.js';
export { answerJsonSchema, type JsonSchema } from './answer.js';
export { parseRetryAfter } from './http-failure.js';
export {
  ANTHROPIC_DEFAULT_MODEL,
  LLM_PROVIDERS,
  createProvider,
  llmConfigSchema,
  parseLlmConfig,
  runBudget,
  type CreateProviderOptions,
  type ExtractionBackend,
  type LlmConfig,
  type LlmProviderKind,
} from './config.js';
