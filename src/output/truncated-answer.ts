// An answer the provider stopped at its token limit (finish reason `length`) is not a broken answer but a short
// budget: the row's error says so, names the limit and how to raise it, and no repair turn is spent on it, since a
// repair has the same max_tokens and would be cut off again.

import type { ChatRequest, ChatResult } from '../providers/provider.js';

const RAISE_IT = "raise the limit with --max-tokens N or max_tokens: N in the prompt's front matter";

/**
 * Why `result` is incomplete, when the provider cut it off at the token limit; undefined when it finished.
 * `kept`: the text is used as it is (a free-text answer), so the message is a note, not a rejection.
 */
export function truncationError(request: ChatRequest, result: ChatResult, kept = false): string | undefined {
  if (result.finishReason !== 'length') return undefined;
  // Without max_tokens in the request the provider applied its own default (Anthropic's is set by the adapter, a
  // local model's by llama-chat): the tokens the provider counted are then the only measure of the limit.
  const limit =
    request.maxTokens !== undefined
      ? `${request.maxTokens} tokens (max_tokens)`
      : result.usage.outputTokens > 0
        ? `${result.usage.outputTokens} tokens (the provider's default limit: the job sets no max_tokens)`
        : "the provider's default token limit (the job sets no max_tokens)";
  return kept
    ? `answer cut off at ${limit}; the text is kept as it is: ${RAISE_IT}`
    : `answer cut off at ${limit} before it was complete: ${RAISE_IT}`;
}
