// Token figures the simulator reports in `usage` and charges against `tpm`: llmap's own counting
// (cost/count-tokens.ts), so its estimates can be checked against the simulator to the token.
import { countPromptPartsTokens, countTextTokens } from '../cost/count-tokens.js';

/**
 * Prompt tokens, exactly: `countTokens(parts.join('\n'))` with the o200k_base encoding, where `parts` is the
 * system prompt (when present and non-empty) followed by the text of every message in order. A message's
 * text is its string content, or the texts of its content blocks joined with '\n' (see `messageText` in each
 * dialect). Roles, names, schemas and tool definitions are not counted: the simulator charges for words only.
 */
export function countPromptTokens(parts: readonly string[]): number {
  return countPromptPartsTokens(parts);
}

/**
 * Completion tokens, exactly: `countTokens(answerText)` with o200k_base. For a tool call the answer text is
 * `JSON.stringify(input)`; for several choices (`n`) the figures are summed.
 */
export function countCompletionTokens(answerText: string): number {
  return countTextTokens(answerText);
}

/**
 * Tokens one request costs against `tpm`, counted when it arrives as the providers do: prompt tokens plus
 * the completion tokens it asks for at most (`max_tokens`, 0 when absent).
 */
export function rateLimitTokenCost(promptTokens: number, maxTokens: number | undefined): number {
  return promptTokens + (maxTokens ?? 0);
}
