// Parse and validate one answer against the schema. Never throws: the outcome is data the executor acts on
// (accept, ask for a repair, or quarantine).

import type { CompiledSchema } from './answer-schema.js';
import { describeSchemaErrors } from './answer-schema.js';

/**
 * The version of the parse-and-validate rules. Recorded outcomes checked under another version are checked again
 * (from the cache, without a call): bump it when this file's rules change.
 */
export const ANSWER_CHECK_VERSION = 1;

export type ParsedAnswer =
  { readonly ok: true; readonly value: Record<string, unknown> } | { readonly ok: false; readonly error: string };

export function parseAnswer(text: string, schema: CompiledSchema): ParsedAnswer {
  let value: unknown;
  try {
    value = JSON.parse(stripFences(text));
  } catch (error) {
    return { ok: false, error: `answer is not valid JSON (${(error as Error).message})` };
  }
  if (!schema.validate(value)) {
    return { ok: false, error: `answer does not match the schema: ${describeSchemaErrors(schema.validate.errors)}` };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** Models without constrained decoding often wrap JSON in a ```json fence. */
function stripFences(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.startsWith('```')) return trimmed;
  return trimmed.replace(/^```[a-zA-Z]*\s*/, '').replace(/\s*```$/, '');
}
