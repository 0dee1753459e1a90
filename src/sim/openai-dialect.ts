// OpenAI's Chat Completions wire format (`POST /v1/chat/completions`): request validation with OpenAI's
// error messages, the `chat.completion` body, `x-ratelimit-*` headers and OpenAI's error bodies.
import { isRecord, sameSecret } from './guards.js';
import type { DialectReply, ParseResult, ProviderDialect } from './provider-dialect.js';
import { formatOpenAiDuration, openAiRateLimitHeaders } from './rate-limit-headers.js';
import type { AnswerFormat, SimCall } from './sim-call.js';
import { rateLimitTokenCost } from './token-count.js';

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const SYSTEM_FINGERPRINT = 'fp_sim0000001';
const KEYS_PAGE = 'https://platform.openai.com/account/api-keys';
const LIMITS_PAGE = 'https://platform.openai.com/account/rate-limits';

/** The error body every OpenAI endpoint uses. */
export function openAiError(
  status: number,
  message: string,
  type: string,
  param: string | null = null,
  code: string | number | null = null,
): DialectReply {
  return { status, body: JSON.stringify({ error: { message, type, param, code } }) };
}

function invalid(message: string, param: string | null = null, code: string | null = null): ParseResult<never> {
  return { ok: false, reply: openAiError(400, message, 'invalid_request_error', param, code) };
}

/** A message's text as counted for prompt tokens: string content, or its text parts joined by '\n'. */
function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const texts: string[] = [];
  for (const part of content) {
    if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') texts.push(part.text);
  }
  return texts.join('\n');
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export const openAiDialect: ProviderDialect = {
  requestIdHeader: 'x-request-id',

  requestId: (sequence) => `req_sim${sequence.toString(16).padStart(24, '0')}`,

  checkAuth(headers, apiKey) {
    const authorization = headers.authorization;
    if (authorization === undefined || !/^bearer\s/i.test(authorization)) {
      return openAiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from " +
          `${KEYS_PAGE}.`,
        'invalid_request_error',
      );
    }
    // The key is never echoed back, not even masked as OpenAI does: the simulator writes no secret anywhere.
    if (!sameSecret(authorization.slice(7).trim(), apiKey)) {
      return openAiError(
        401,
        `Incorrect API key provided. You can find your API key at ${KEYS_PAGE}.`,
        'invalid_request_error',
        null,
        'invalid_api_key',
      );
    }
    return undefined;
  },

  parse(body) {
    if (!isRecord(body)) {
      return invalid(
        `Invalid type for body: expected an object, but got ${typeName(body)} instead.`,
        null,
        'invalid_type',
      );
    }
    if (typeof body.model !== 'string' || body.model === '') return invalid('you must provide a model parameter');
    const messages = body.messages;
    if (messages === undefined) {
      return invalid("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
    }
    if (!Array.isArray(messages)) {
      return invalid(
        `Invalid type for 'messages': expected an array of objects, but got ${typeName(messages)} instead.`,
        'messages',
        'invalid_type',
      );
    }
    if (messages.length === 0) {
      return invalid(
        "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
        'messages',
        'empty_array',
      );
    }
    const promptParts: string[] = [];
    let firstUserText: string | undefined;
    let lastUserText = '';
    for (const [index, message] of messages.entries()) {
      const where = `messages[${index}]`;
      if (!isRecord(message)) {
        return invalid(
          `Invalid type for '${where}': expected an object, but got ${typeName(message)} instead.`,
          where,
          'invalid_type',
        );
      }
      if (typeof message.role !== 'string' || !ROLES.has(message.role)) {
        return invalid(
          `Invalid value: '${String(message.role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
          `${where}.role`,
          'invalid_value',
        );
      }
      const content = message.content;
      const nullable = message.role === 'assistant' && (content === null || content === undefined);
      if (!nullable && typeof content !== 'string' && !Array.isArray(content)) {
        return invalid(
          `Invalid type for '${where}.content': expected one of a string or array of objects, but got ${typeName(content)} instead.`,
          `${where}.content`,
          'invalid_type',
        );
      }
      const text = messageText(content);
      promptParts.push(text);
      if (message.role === 'user') {
        firstUserText ??= text;
        lastUserText = text;
      }
    }
    const maxTokens = body.max_completion_tokens ?? body.max_tokens;
    const maxName = body.max_completion_tokens === undefined ? 'max_tokens' : 'max_completion_tokens';
    if (maxTokens !== undefined && maxTokens !== null) {
      if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens)) {
        return invalid(
          `Invalid type for '${maxName}': expected an integer, but got ${typeName(maxTokens)} instead.`,
          maxName,
          'invalid_type',
        );
      }
      if (maxTokens < 1) {
        return invalid(
          `Invalid '${maxName}': integer below minimum value. Expected a value >= 1, but got ${maxTokens} instead.`,
          maxName,
          'integer_below_min_value',
        );
      }
    }
    const temperature = body.temperature;
    if (temperature !== undefined && temperature !== null) {
      if (typeof temperature !== 'number') {
        return invalid(
          `Invalid type for 'temperature': expected a decimal, but got ${typeName(temperature)} instead.`,
          'temperature',
          'invalid_type',
        );
      }
      if (temperature < 0 || temperature > 2) {
        const [bound, code] =
          temperature < 0 ? ['>= 0', 'decimal_below_min_value'] : ['<= 2', 'decimal_above_max_value'];
        return invalid(
          `Invalid 'temperature': decimal ${temperature < 0 ? 'below minimum' : 'above maximum'} value. Expected a value ${bound}, but got ${temperature} instead.`,
          'temperature',
          code,
        );
      }
    }
    const n = body.n ?? 1;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 128) {
      return invalid(
        `Invalid 'n': expected an integer between 1 and 128, but got ${JSON.stringify(n)} instead.`,
        'n',
        'invalid_value',
      );
    }
    const format = answerFormat(body.response_format, promptParts);
    if ('ok' in format) return format;
    const call: SimCall = {
      model: body.model,
      promptParts,
      keyMaterial: { messages, schema: body.response_format ?? null },
      firstUserText: firstUserText ?? '',
      lastUserText,
      maxTokens: typeof maxTokens === 'number' ? maxTokens : undefined,
      choices: n,
      format,
    };
    return { ok: true, call };
  },

  invalidJson: () =>
    openAiError(
      400,
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      'invalid_request_error',
    ),

  tooLarge: () => openAiError(413, 'The request body is too large.', 'invalid_request_error'),

  // As OpenAI (and vLLM, which copies it) words it.
  contextExceeded: (promptTokens, maxTokens, contextTokens) =>
    openAiError(
      400,
      `This model's maximum context length is ${contextTokens} tokens. However, you requested ` +
        `${promptTokens + maxTokens} tokens (${promptTokens} in the messages, ${maxTokens} in the completion). ` +
        'Please reduce the length of the messages or completion.',
      'invalid_request_error',
      'messages',
      'context_length_exceeded',
    ),

  answer(call, answers, context) {
    let completionTokens = 0;
    const choices = answers.map((answer, index) => {
      completionTokens += answer.tokens;
      return {
        index,
        message: { role: 'assistant', content: answer.text, refusal: null, annotations: [] },
        logprobs: null,
        // "`stop` if the model hit a natural stop point or a provided stop sequence, `length` if the maximum number
        // of tokens specified in the request was reached" (the Chat Completions reference).
        finish_reason: answer.finish,
      };
    });
    return JSON.stringify({
      id: `chatcmpl-sim${context.sequence.toString(36).padStart(20, '0')}`,
      object: 'chat.completion',
      created: Math.floor(context.nowMs / 1000),
      model: call.model,
      choices,
      usage: {
        prompt_tokens: context.promptTokens,
        completion_tokens: completionTokens,
        total_tokens: context.promptTokens + completionTokens,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      },
      service_tier: 'default',
      system_fingerprint: SYSTEM_FINGERPRINT,
    });
  },

  rateLimited(call, denial) {
    const wait = formatOpenAiDuration(denial.retryAfterMs);
    const per = denial.family === 'requests' ? 'requests per min (RPM)' : 'tokens per min (TPM)';
    const limit = denial.limit;
    const where = `for ${call.model} in organization org-sim on ${per}`;
    const message = denial.tooLarge
      ? `Request too large ${where}: Limit ${limit}, Requested ${denial.requested}. The input or output tokens must be reduced in order to run successfully. Visit ${LIMITS_PAGE} to learn more.`
      : `Rate limit reached ${where}: Limit ${limit}, Used ${denial.used}, Requested ${denial.requested}. Please try again in ${wait}. Visit ${LIMITS_PAGE} to learn more.`;
    const reply = openAiError(429, message, denial.family, null, 'rate_limit_exceeded');
    return { ...reply, headers: retryHeaders(denial.retryAfterMs) };
  },

  serverError(draw) {
    const pick = Math.floor(draw * 3);
    if (pick === 0) {
      return openAiError(
        500,
        'The server had an error while processing your request. Sorry about that!',
        'server_error',
      );
    }
    // As OpenAI's edge sends it: a numeric `code`, which clients typing it as a string must survive.
    if (pick === 1) return openAiError(502, 'Bad gateway.', 'cf_bad_gateway', null, 502);
    return openAiError(503, 'The engine is currently overloaded, please try again later', 'server_error');
  },

  // "Usage needs are estimated from [max_tokens]": the prompt and the most the answer may take, charged on arrival.
  rateLimitCost: (promptTokens, maxTokens) => ({ tokens: rateLimitTokenCost(promptTokens, maxTokens) }),

  addRateLimitHeaders: openAiRateLimitHeaders,
};

/** The answer format `response_format` asks for, or the 400 a malformed one gets. */
function answerFormat(responseFormat: unknown, promptParts: readonly string[]): AnswerFormat | ParseResult<never> {
  if (responseFormat === undefined || responseFormat === null) return { kind: 'text' };
  if (!isRecord(responseFormat)) {
    return invalid(
      `Invalid type for 'response_format': expected an object, but got ${typeName(responseFormat)} instead.`,
      'response_format',
      'invalid_type',
    );
  }
  switch (responseFormat.type) {
    case 'text':
      return { kind: 'text' };
    case 'json_object':
      // OpenAI refuses JSON mode unless the prompt asks for JSON, lest the model write whitespace forever.
      if (!promptParts.some((part) => /json/i.test(part))) {
        return invalid(
          "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
          'messages',
        );
      }
      return { kind: 'json-object' };
    case 'json_schema': {
      const jsonSchema = responseFormat.json_schema;
      if (!isRecord(jsonSchema)) {
        return invalid(
          "Missing required parameter: 'response_format.json_schema'.",
          'response_format.json_schema',
          'missing_required_parameter',
        );
      }
      if (typeof jsonSchema.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(jsonSchema.name)) {
        return invalid(
          "Missing required parameter: 'response_format.json_schema.name'.",
          'response_format.json_schema.name',
          'missing_required_parameter',
        );
      }
      return { kind: 'schema', schema: jsonSchema.schema ?? { type: 'object' } };
    }
    default:
      return invalid(
        `Invalid value: '${String(responseFormat.type)}'. Supported values are: 'text', 'json_object', and 'json_schema'.`,
        'response_format.type',
        'invalid_value',
      );
  }
}

function retryHeaders(retryAfterMs: number): Record<string, string> {
  return { 'retry-after': String(Math.ceil(retryAfterMs / 1000)), 'retry-after-ms': String(Math.ceil(retryAfterMs)) };
}
