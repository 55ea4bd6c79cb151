// An LLM provider's calls retried the one way every package retries, core's `withRetries`: what is
// retryable is the LlmError's own `retryable` (429, 529, 5xx, lost connections, timeouts); an
// abort stays an LLM failure, so the extraction run can tell "stopped" from "failed".
import { type LlmAnswer, LlmError, type LlmProvider, type LlmRequest, LlmTimeoutError, type RetryDecision, type RetryOptions, withRetries } from '@aida/core';

/** Refusals, invalid answers, other 4xx, budget refusals, aborts and errors of any other kind are thrown at once. */
function classifyLlmFailure(error: unknown): RetryDecision {
  return error instanceof LlmError ? { retryable: error.retryable, retryAfterMs: error.retryAfterMs } : { retryable: false };
}

/** Core rejects an aborted call with the signal's reason; the memory code expects an aborted `LlmTimeoutError`. */
function abortedCall(provider: string, error: unknown): LlmTimeoutError {
  if (error instanceof LlmTimeoutError && error.aborted) return error;
  return new LlmTimeoutError('The LLM call was aborted', { provider, aborted: true, cause: error });
}

/** `provider` with each call run through core's `withRetries` (the call's own signal stops the retries). */
export function retrying(provider: LlmProvider, options: Omit<RetryOptions, 'classify' | 'signal'>): LlmProvider {
  return {
    id: provider.id,
    model: provider.model,
    async complete<T>(request: LlmRequest<T>, signal?: AbortSignal): Promise<LlmAnswer<T>> {
      try {
        return await withRetries(() => provider.complete(request, signal), { ...options, signal, classify: classifyLlmFailure });
      } catch (error) {
        throw signal?.aborted ? abortedCall(provider.id, error) : error;
      }
    },
  };
}
