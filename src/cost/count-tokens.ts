// Prompt tokens of a request, counted offline with the o200k_base encoding (GPT-4o and later) over the system
// prompt and the messages' text joined by newlines. Providers add a few tokens of framing per message, and
// Anthropic's tokenizer differs: this is an estimate there, and exact against `llmap sim`, which counts the same way.

import { createRequire } from 'node:module';
import type { ChatRequest } from '../providers/provider.js';

// Prompts are user data: text that looks like a special token is counted as text, never an error.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() } as const;

type CountTokens = typeof import('gpt-tokenizer').countTokens;
let countTokens: CountTokens | undefined;

/** Tokens of plain text, o200k_base. The one tokenizer call of llmap and of its simulator. */
export function countTextTokens(text: string): number {
  // Loaded on first use: the encoding tables cost ~66 MB of memory, which a run with no token limit, no budget and
  // no estimate never needs.
  countTokens ??= (createRequire(import.meta.url)('gpt-tokenizer') as typeof import('gpt-tokenizer')).countTokens;
  return countTokens(text, PLAIN_TEXT);
}

/** Prompt tokens: the system prompt (when non-empty) and every message's text, joined by newlines. */
export function countPromptPartsTokens(parts: readonly string[]): number {
  return countTextTokens(parts.join('\n'));
}

export function countPromptTokens(request: ChatRequest): number {
  const parts: string[] = [];
  if (request.system) parts.push(request.system);
  for (const message of request.messages) parts.push(message.content);
  return countPromptPartsTokens(parts);
}
