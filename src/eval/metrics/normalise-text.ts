// The answer normalisation of the official SQuAD v1.1 evaluation script (evaluate-v1.1.py, `normalize_answer`),
// shared by exact_match_norm and f1: lowercase, drop ASCII punctuation, drop the articles a/an/the, collapse
// whitespace. Written to give the same text as the Python original, Unicode included.

import { splitWords } from './split-words.js';

/** Python's `string.punctuation`: the 32 ASCII punctuation characters, removed outright (not replaced by a space). */
const PUNCTUATION = /[!-/:-@[-`{-~]/g;

/**
 * `re.sub(r'\b(a|an|the)\b', ' ', text)` under Python 3, whose `\b` is Unicode-aware: a word character is a letter,
 * a number or `_` in any script. JavaScript's `\b` only knows ASCII, so the boundaries are spelled out.
 */
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

/** The normalised tokens of `text`: SQuAD's `normalize_answer(text).split()`. */
export function answerTokens(text: string): string[] {
  return splitWords(text.toLowerCase().replace(PUNCTUATION, '').replace(ARTICLES, ' '));
}

/** SQuAD's `normalize_answer(text)`: the normalised tokens joined by single spaces. */
export function normaliseAnswer(text: string): string {
  return answerTokens(text).join(' ');
}
