// The free-text answer: a short sentence built from words of the last user message and one word chosen by
// the prompt's hash, so answers differ between prompts, repeat for the same one, and show what was asked.

const ANSWER_WORDS = ['yes', 'no', 'maybe', 'positive', 'negative', 'neutral', 'blue', 'green', 'seven', 'later'];
/** How much of a long prompt is scanned for words: the sentence only needs a few. */
const SCANNED_CHARACTERS = 2000;
const TOPIC_WORDS = 4;

export function textAnswer(lastUserText: string, seed: number): string {
  const words = lastUserText.slice(0, SCANNED_CHARACTERS).match(/[\p{L}\p{N}]+/gu) ?? [];
  const count = Math.min(words.length, TOPIC_WORDS);
  const start = (seed >>> 0) % (words.length - count + 1);
  const topic = words.slice(start, start + count).join(' ');
  const word = ANSWER_WORDS[(seed >>> 8) % ANSWER_WORDS.length] ?? 'yes';
  return topic === '' ? `Simulated answer: ${word}.` : `Simulated answer about ${topic}: ${word}.`;
}
