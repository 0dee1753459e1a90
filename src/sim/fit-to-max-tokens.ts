// Bounds an answer by the request's max_tokens, as a model stops mid-sentence when it runs out: the cut
// answer is what the client sees with finish_reason 'length' (and, for JSON, a document that no longer parses).
// As the providers document it: OpenAI's `finish_reason` is "`length` if the maximum number of tokens specified in
// the request was reached"; Anthropic's `stop_reason` is "`max_tokens`: we exceeded the requested max_tokens or the
// model's maximum". A model cut off that way generated exactly max_tokens tokens, which its usage reports.
import { countCompletionTokens } from './token-count.js';

export interface FittedAnswer {
  readonly text: string;
  /**
   * The completion tokens the provider reports: `countCompletionTokens(text)`, computed once here so the caller never
   * tokenises the answer again; max_tokens when cut (the model generated that many, the last ones maybe only part of
   * a character the text could not end with).
   */
  readonly tokens: number;
  readonly cut: boolean;
}

export function fitToMaxTokens(text: string, maxTokens: number | undefined): FittedAnswer {
  const tokens = countCompletionTokens(text);
  if (maxTokens === undefined || tokens <= maxTokens) return { text, tokens, cut: false };
  // Cut on code points, never inside a surrogate pair, keeping the longest prefix that fits. Token counts
  // grow with the prefix almost everywhere, so a binary search finds it in a handful of counts.
  const codePoints = Array.from(text);
  let fits = 0;
  let tooLong = codePoints.length;
  while (tooLong - fits > 1) {
    const middle = (fits + tooLong) >>> 1;
    if (countCompletionTokens(codePoints.slice(0, middle).join('')) <= maxTokens) fits = middle;
    else tooLong = middle;
  }
  return { text: codePoints.slice(0, fits).join(''), tokens: maxTokens, cut: true };
}
