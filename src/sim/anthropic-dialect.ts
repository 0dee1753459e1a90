// Anthropic's Messages wire format (`POST /v1/messages`): request validation with Anthropic's error
// messages, the `message` body (a text block, or a `tool_use` block for a forced tool), the
// `anthropic-ratelimit-*` headers and the `{"type":"error"}` error bodies.
import { isRecord, sameSecret } from './guards.js';
import type { DialectReply, ParseResult, ProviderDialect } from './provider-dialect.js';
import { anthropicRateLimitHeaders } from './rate-limit-headers.js';
import type { AnswerFormat, SimCall } from './sim-call.js';

/** Anthropic's error body: its `type`s include `invalid_request_error`, `rate_limit_error`, `overloaded_error`. */
export function anthropicError(status: number, type: string, message: string, requestId: string): DialectReply {
  return { status, body: JSON.stringify({ type: 'error', error: { type, message }, request_id: requestId }) };
}

function invalid(message: string, requestId: string): ParseResult<never> {
  return { ok: false, reply: anthropicError(400, 'invalid_request_error', message, requestId) };
}

/**
 * A content's text as counted for prompt tokens: a string as is; of blocks, the `text` of text blocks,
 * `JSON.stringify(input)` of tool_use blocks and the text of tool_result blocks, joined by '\n'.
 */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const texts: string[] = [];
  for (const block of content) {
    if (!isRecord(block)) continue;
    if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
    else if (block.type === 'tool_use') texts.push(JSON.stringify(block.input ?? {}));
    else if (block.type === 'tool_result') texts.push(contentText(block.content));
  }
  return texts.join('\n');
}

/** The tool the model must call (`tool_choice` `tool`, or `any` with the first tool), if any. */
interface ForcedTool {
  readonly name: string;
  readonly schema: unknown;
}

/** The parsed call plus what only Anthropic needs to render its answer. */
interface AnthropicCall extends SimCall {
  readonly forcedTool: ForcedTool | undefined;
}

export const anthropicDialect: ProviderDialect<AnthropicCall> = {
  requestIdHeader: 'request-id',

  requestId: (sequence) => `req_sim${sequence.toString(36).padStart(22, '0')}`,

  checkAuth(headers, apiKey, requestId) {
    const given = headers['x-api-key'];
    if (typeof given !== 'string' || given === '') {
      return anthropicError(401, 'authentication_error', 'x-api-key header is required', requestId);
    }
    if (!sameSecret(given, apiKey)) return anthropicError(401, 'authentication_error', 'invalid x-api-key', requestId);
    return undefined;
  },

  parse(body, headers, requestId) {
    if (headers['anthropic-version'] === undefined) return invalid('anthropic-version: header is required', requestId);
    if (!isRecord(body)) return invalid('Input should be a valid dictionary', requestId);
    if (typeof body.model !== 'string' || body.model === '') return invalid('model: Field required', requestId);
    const maxTokens = body.max_tokens;
    if (maxTokens === undefined) return invalid('max_tokens: Field required', requestId);
    if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens)) {
      return invalid('max_tokens: Input should be a valid integer', requestId);
    }
    if (maxTokens < 1) return invalid('max_tokens: Input should be greater than or equal to 1', requestId);
    const messages = body.messages;
    if (messages === undefined) return invalid('messages: Field required', requestId);
    if (!Array.isArray(messages)) return invalid('messages: Input should be a valid list', requestId);
    if (messages.length === 0) return invalid('messages: at least one message is required', requestId);
    const promptParts: string[] = [];
    const system = body.system;
    if (system !== undefined) {
      if (typeof system !== 'string' && !Array.isArray(system)) {
        return invalid('system: Input should be a valid string', requestId);
      }
      const systemText = contentText(system);
      if (systemText !== '') promptParts.push(systemText);
    }
    let firstUserText: string | undefined;
    let lastUserText = '';
    for (const [index, message] of messages.entries()) {
      if (!isRecord(message)) return invalid(`messages.${index}: Input should be a valid dictionary`, requestId);
      if (message.role === 'system') {
        return invalid(
          'Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" as an input message role.',
          requestId,
        );
      }
      if (message.role !== 'user' && message.role !== 'assistant') {
        return invalid(`messages.${index}.role: Input should be 'user' or 'assistant'`, requestId);
      }
      if (typeof message.content !== 'string' && !Array.isArray(message.content)) {
        return invalid(`messages.${index}.content: Input should be a valid list`, requestId);
      }
      const text = contentText(message.content);
      promptParts.push(text);
      if (message.role === 'user') {
        firstUserText ??= text;
        lastUserText = text;
      }
    }
    const temperature = body.temperature;
    if (temperature !== undefined && (typeof temperature !== 'number' || temperature < 0 || temperature > 1)) {
      return invalid('temperature: Input should be less than or equal to 1', requestId);
    }
    const forced = forcedTool(body.tools, body.tool_choice, requestId);
    if (forced !== undefined && 'ok' in forced) return forced;
    const format: AnswerFormat = forced === undefined ? { kind: 'text' } : { kind: 'schema', schema: forced.schema };
    const call: AnthropicCall = {
      model: body.model,
      promptParts,
      keyMaterial: {
        system: system ?? null,
        messages,
        tools: body.tools ?? null,
        toolChoice: body.tool_choice ?? null,
      },
      firstUserText: firstUserText ?? '',
      lastUserText,
      maxTokens,
      choices: 1,
      format,
      forcedTool: forced,
    };
    return { ok: true, call };
  },

  invalidJson: (requestId) =>
    anthropicError(400, 'invalid_request_error', 'There was an issue with the request body: invalid JSON', requestId),

  contextExceeded: (promptTokens, maxTokens, contextTokens, requestId) =>
    anthropicError(
      400,
      'invalid_request_error',
      `prompt is too long: ${promptTokens + maxTokens} tokens > ${contextTokens} maximum`,
      requestId,
    ),

  tooLarge: (requestId) =>
    anthropicError(413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.', requestId),

  answer(call, answers, context) {
    const answer = answers[0];
    if (answer === undefined) throw new Error('An Anthropic message carries exactly one answer');
    const tool = call.forcedTool;
    // "`end_turn`: the model reached a natural stopping point; `max_tokens`: we exceeded the requested max_tokens or
    // the model's maximum; `tool_use`: the model invoked one or more tools" (the Messages API reference).
    let content: unknown[];
    let stopReason: string;
    if (tool !== undefined && !answer.malformed) {
      // Cut short by max_tokens, a tool call's input is not a complete object: Anthropic sends what it has.
      const input = answer.document ?? {};
      content = [
        { type: 'tool_use', id: `toolu_sim${context.sequence.toString(36).padStart(16, '0')}`, name: tool.name, input },
      ];
      stopReason = answer.finish === 'length' ? 'max_tokens' : 'tool_use';
    } else {
      content = [{ type: 'text', text: answer.text }];
      stopReason = answer.finish === 'length' ? 'max_tokens' : 'end_turn';
    }
    return JSON.stringify({
      id: `msg_sim${context.sequence.toString(36).padStart(20, '0')}`,
      type: 'message',
      role: 'assistant',
      model: call.model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: {
        input_tokens: context.promptTokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: answer.tokens,
      },
    });
  },

  rateLimited(_call, denial, requestId) {
    const limit = denial.limit;
    const unit =
      denial.family === 'requests' ? 'requests' : denial.family === 'output-tokens' ? 'output tokens' : 'input tokens';
    const message = `This request would exceed the rate limit for your organization of ${limit} ${unit} per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later.`;
    const reply = anthropicError(429, 'rate_limit_error', message, requestId);
    return { ...reply, headers: { 'retry-after': String(Math.ceil(denial.retryAfterMs / 1000)) } };
  },

  serverError(draw, requestId) {
    const pick = Math.floor(draw * 4);
    if (pick === 0) return anthropicError(500, 'api_error', 'Internal server error', requestId);
    if (pick === 1) return anthropicError(502, 'api_error', 'Bad gateway', requestId);
    if (pick === 2) return anthropicError(503, 'api_error', 'Service unavailable', requestId);
    return anthropicError(529, 'overloaded_error', 'Overloaded', requestId);
  },

  // ITPM counts the prompt; OTPM is "estimated based on max_tokens at the beginning of each request and adjusted at
  // the end" (handle-chat refunds the difference).
  rateLimitCost: (promptTokens, maxTokens) => ({ 'input-tokens': promptTokens, 'output-tokens': maxTokens ?? 0 }),

  addRateLimitHeaders: anthropicRateLimitHeaders,
};

/** The tool `tool_choice` forces, `undefined` when the model may answer in text, or the 400 for a bad choice. */
function forcedTool(
  tools: unknown,
  toolChoice: unknown,
  requestId: string,
): ForcedTool | ParseResult<never> | undefined {
  if (tools !== undefined && !Array.isArray(tools)) return invalid('tools: Input should be a valid list', requestId);
  const list = tools ?? [];
  for (const [index, tool] of list.entries()) {
    if (!isRecord(tool) || typeof tool.name !== 'string')
      return invalid(`tools.${index}.name: Field required`, requestId);
    if (!isRecord(tool.input_schema)) return invalid(`tools.${index}.input_schema: Field required`, requestId);
  }
  if (toolChoice === undefined) return undefined;
  if (!isRecord(toolChoice)) return invalid('tool_choice: Input should be a valid dictionary', requestId);
  const byName = (name: unknown): Record<string, unknown> | undefined =>
    (list as Record<string, unknown>[]).find((tool) => tool.name === name);
  switch (toolChoice.type) {
    case 'auto':
    case 'none':
      return undefined;
    case 'any': {
      const first = list[0] as Record<string, unknown> | undefined;
      if (first === undefined)
        return invalid('tool_choice: `tools` must be provided when `tool_choice` is `any`', requestId);
      return { name: first.name as string, schema: first.input_schema };
    }
    case 'tool': {
      if (typeof toolChoice.name !== 'string') return invalid('tool_choice.tool.name: Field required', requestId);
      const tool = byName(toolChoice.name);
      if (tool === undefined)
        return invalid(`tool_choice: tool \`${toolChoice.name}\` not found in \`tools\``, requestId);
      return { name: toolChoice.name, schema: tool.input_schema };
    }
    default:
      return invalid("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'", requestId);
  }
}
