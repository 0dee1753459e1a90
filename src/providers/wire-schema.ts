// The answer schema as a provider receives it: what can shape an answer, and so what a request key covers. Parts a
// backend drops (OpenAI strict mode has no maxLength, for one) are checked locally only; changing them re-validates
// cached answers instead of paying for new ones.

import type { AnswerSchema } from './provider.js';
import { toGrammarSchema } from './llama/grammar-schema.js';
import { toOpenAIStrictSchema } from './openai/openai-strict-schema.js';

export function wireSchema(provider: string, schema: AnswerSchema): unknown {
  if (provider === 'openai') return { name: schema.name, schema: toOpenAIStrictSchema(schema.jsonSchema).schema };
  if (provider === 'llama') return { name: schema.name, grammar: toGrammarSchema(schema.jsonSchema).schema };
  return { name: schema.name, schema: schema.jsonSchema };
}
