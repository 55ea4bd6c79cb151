import { type LlmAnswer, LlmBudgetExhaustedError, LlmError, type LlmProvider, type LlmRequest, type LlmUsage } from '@aida/core';

export interface BudgetLimits {
  /** Calls a run may make (each `complete`, with its retries, is one). */
  maxCalls: number;
  /** Input plus output tokens a run may consume. */
  maxTokens: number;
}

/** What a run spent, for its job outcome. */
export interface BudgetReport {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  /** A call was refused because a cap was reached: the run stopped short. */
  exhausted: boolean;
}

/**
 * One run's cap on LLM calls and tokens, wrapping a provider. A call is counted when it starts
 * (so concurrent calls cannot overshoot `maxCalls`); its tokens when it ends, including those
 * of a refused or invalid answer, which are billed too. Once a cap is reached, further calls
 * are refused with `LlmBudgetExhaustedError` before anything is sent. The token cap is checked
 * before a call, so the last call may end above it.
 */
export class LlmBudget implements LlmProvider {
  readonly id: string;
  readonly model: string;
  private calls = 0;
  private inputTokens = 0;
  private outputTokens = 0;
  private refused = false;

  constructor(
    private readonly provider: LlmProvider,
    readonly limits: BudgetLimits,
  ) {
    this.id = provider.id;
    this.model = provider.model;
  }

  async complete<T>(request: LlmRequest<T>, signal?: AbortSignal): Promise<LlmAnswer<T>> {
    this.admit();
    this.calls++;
    try {
      const answer = await this.provider.complete(request, signal);
      this.count(answer.usage);
      return answer;
    } catch (e) {
      if (e instanceof LlmError && e.usage) this.count(e.usage);
      throw e;
    }
  }

  /** Calls made and tokens consumed so far. */
  report(): BudgetReport {
    return { calls: this.calls, inputTokens: this.inputTokens, outputTokens: this.outputTokens, exhausted: this.refused };
  }

  private admit(): void {
    const { maxCalls, maxTokens } = this.limits;
    if (this.calls >= maxCalls) {
      this.refused = true;
      throw new LlmBudgetExhaustedError(`This run has made its ${maxCalls} LLM calls (llm.max_calls_per_run)`, { limit: 'calls', provider: this.id });
    }
    const tokens = this.inputTokens + this.outputTokens;
    if (tokens >= maxTokens) {
      this.refused = true;
      throw new LlmBudgetExhaustedError(`This run has used ${tokens} of its ${maxTokens} LLM tokens (llm.max_tokens_per_run)`, {
        limit: 'tokens',
        provider: this.id,
      });
    }
  }

  private count(usage: LlmUsage): void {
    this.inputTokens += usage.inputTokens;
    this.outputTokens += usage.outputTokens;
  }
}
