// Test helpers: a bare HTTP client for the simulator that returns what a client would see (status, headers,
// parsed body), and the shapes of the provider bodies the tests read. Not shipped (matches `*.test.*`).

export interface SimResponse<Body = unknown> {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Body;
}

export const OPENAI_HEADERS = { 'content-type': 'application/json' } as const;
export const ANTHROPIC_HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' } as const;

/** POSTs `body` (serialised unless already a string) and reads the whole response. */
export async function post<Body = unknown>(
  url: string,
  body: unknown,
  headers: Readonly<Record<string, string>> = OPENAI_HEADERS,
  signal?: AbortSignal,
): Promise<SimResponse<Body>> {
  const init: RequestInit = { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) };
  if (signal !== undefined) init.signal = signal;
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: Object.fromEntries(response.headers), body: JSON.parse(text) as Body };
}

export async function get<Body = unknown>(url: string): Promise<SimResponse<Body>> {
  const response = await fetch(url);
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: (await response.json()) as Body,
  };
}

export interface ChatCompletion {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: {
    index: number;
    message: { role: string; content: string; refusal: null };
    logprobs: null;
    finish_reason: string;
  }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  system_fingerprint: string;
}

export interface AnthropicMessage {
  id: string;
  type: string;
  role: string;
  model: string;
  content: ({ type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown })[];
  stop_reason: string;
  stop_sequence: null;
  usage: { input_tokens: number; output_tokens: number };
}

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | number | null };
}

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
  request_id: string;
}

/** A user message asking for one label, as llmap would send for one row. */
export function openAiRequest(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }], ...extra };
}

export function anthropicRequest(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: text }], ...extra };
}
