// Python's `str.split()` in JavaScript: the word splitting of the reference implementations the metrics follow
// (SQuAD's evaluation script, sacreBLEU), so that their published scores can be reproduced exactly.

/** What `str.isspace` accepts. JavaScript's `\s` differs: it has U+FEFF and lacks U+001C–U+001F and U+0085. */
// eslint-disable-next-line no-control-regex -- U+001C..U+001F are whitespace to Python, on purpose.
const WHITESPACE = /[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** The words of `text` split at runs of whitespace, with no empty words (Python's `text.split()`). */
export function splitWords(text: string): string[] {
  const words = text.split(WHITESPACE);
  // split leaves an empty string at either end when the text starts or ends with whitespace.
  if (words[words.length - 1] === '') words.pop();
  if (words[0] === '') words.shift();
  return words;
}
