// Row → request: the rendered prompt with the job's model, sampling parameters and schema. The request is
// everything that determines an answer, so later stages can key, dedupe and cache on it.

import type { CompiledSchema } from '../output/answer-schema.js';
import { renderTemplate } from '../prompt/render-prompt.js';
import type { Template } from '../prompt/template.js';
import type { ChatRequest } from '../providers/provider.js';
import type { Row } from '../table/read-table.js';

export interface RequestTemplate {
  readonly model: string;
  readonly system?: Template;
  readonly user: Template;
  readonly temperature?: number;
  readonly maxTokens?: number;
  readonly schema?: CompiledSchema;
}

export function buildRequest(template: RequestTemplate, row: Row, sample = 0): ChatRequest {
  return {
    model: template.model,
    ...(template.system ? { system: renderTemplate(template.system, row) } : {}),
    messages: [{ role: 'user', content: renderTemplate(template.user, row) }],
    ...(template.temperature === undefined ? {} : { temperature: template.temperature }),
    ...(template.maxTokens === undefined ? {} : { maxTokens: template.maxTokens }),
    ...(template.schema ? { schema: template.schema } : {}),
    ...(sample === 0 ? {} : { sample }),
  };
}
