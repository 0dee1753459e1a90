// The `13a` tokenizer of sacreBLEU (its default, equivalent to mteval-v13a.pl used by WMT): how bleu splits a text
// into words, so that its scores are comparable with published sacreBLEU numbers.

import { splitWords } from './split-words.js';

/** ASCII symbols and punctuation other than `'`, `,`, `-` and `.` always stand alone. */
const SYMBOLS = /([{-~[-` -&(-+:-@/])/g;
/** A period or comma is split off unless it sits between digits (`3.14`, `1,000` stay whole). */
const PERIOD_COMMA_AFTER_NON_DIGIT = /([^0-9])([.,])/g;
const PERIOD_COMMA_BEFORE_NON_DIGIT = /([.,])([^0-9])/g;
/** A dash after a digit is split off (`1990-1995` → `1990 - 1995`); other dashes stay in their word. */
const DASH_AFTER_DIGIT = /([0-9])(-)/g;

/** The tokens of `text` under sacreBLEU's `Tokenizer13a` (case is kept; lowercase beforehand if wanted). */
export function tokenize13a(text: string): string[] {
  let line = text.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (line.includes('&')) {
    line = line.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  }
  line = ` ${line} `
    .replace(SYMBOLS, ' $1 ')
    .replace(PERIOD_COMMA_AFTER_NON_DIGIT, '$1 $2 ')
    .replace(PERIOD_COMMA_BEFORE_NON_DIGIT, ' $1 $2')
    .replace(DASH_AFTER_DIGIT, '$1 $2 ');
  return splitWords(line);
}
