// Writes the answer to a call: a sentence, a JSON object, or a document satisfying the schema, all chosen by
// the prompt's seed; then, for the malformed-answer fault, broken; then bounded by max_tokens.
import { answerFromSchema } from './answer-from-schema.js';
import { fitToMaxTokens } from './fit-to-max-tokens.js';
import type { SimAnswer, SimCall } from './sim-call.js';
import { textAnswer } from './text-answer.js';
import { applyOracle, findOracle, oracleText } from './oracle.js';

export function composeAnswer(call: SimCall, seed: number, malformed: boolean): SimAnswer {
  let document: unknown;
  let text: string;
  const oracle = findOracle(call.lastUserText);
  switch (call.format.kind) {
    case 'schema':
      document = answerFromSchema(call.format.schema, seed);
      if (oracle) document = applyOracle(document, call.format.schema, oracle, seed);
      text = JSON.stringify(document);
      break;
    case 'json-object':
      document = { answer: textAnswer(call.lastUserText, seed) };
      text = JSON.stringify(document);
      break;
    case 'text':
      text = oracle ? oracleText(oracle, seed) : textAnswer(call.lastUserText, seed);
  }
  if (malformed) text = breakJson(text, call.format.kind === 'text', seed);
  const fitted = fitToMaxTokens(text, call.maxTokens);
  return {
    text: fitted.text,
    document: fitted.cut || malformed ? undefined : document,
    finish: fitted.cut ? 'length' : 'stop',
    tokens: fitted.tokens,
    malformed,
  };
}

/**
 * JSON that does not parse, in the ways models break it: cut short, or followed by chatter. A plain-text
 * answer is first dressed as the JSON a client would have expected.
 */
export function breakJson(text: string, isPlainText: boolean, seed: number): string {
  if (isPlainText) return `{"answer": ${JSON.stringify(text)}`;
  const withChatter = `${text}\n\nI hope this helps!`;
  if (seed % 2 === 1) return withChatter;
  const halved = text.slice(0, Math.max(1, text.length >> 1));
  return parses(halved) ? withChatter : halved; // half of `42` is `4`, still JSON
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
