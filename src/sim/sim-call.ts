// The provider-neutral view of one chat request and its answer: each dialect (OpenAI, Anthropic) parses its
// wire format into a `SimCall`, and renders a `SimAnswer` back into its own.

export type AnswerFormat =
  | { readonly kind: 'text' }
  /** OpenAI `response_format: {type: 'json_object'}`: any JSON object. */
  | { readonly kind: 'json-object' }
  /** OpenAI `json_schema`, or an Anthropic forced tool's `input_schema`. */
  | { readonly kind: 'schema'; readonly schema: unknown };

export interface SimCall {
  readonly model: string;
  /** The texts prompt tokens are counted over: system first, then each message (see `countPromptTokens`). */
  readonly promptParts: readonly string[];
  /** What makes two prompts the same in stats: system, the full messages and the schema. */
  readonly keyMaterial: unknown;
  readonly firstUserText: string;
  readonly lastUserText: string;
  readonly maxTokens: number | undefined;
  /** OpenAI `n`; 1 elsewhere. */
  readonly choices: number;
  readonly format: AnswerFormat;
}

export interface SimAnswer {
  /** What the model wrote: the sentence, or the JSON document as text; cut when `finish` is 'length'. */
  readonly text: string;
  /** The JSON document, when `text` holds a complete one (not cut, not malformed). */
  readonly document: unknown;
  readonly finish: 'stop' | 'length';
  /** `countCompletionTokens(text)`, or max_tokens when cut (what the provider reports as generated). */
  readonly tokens: number;
  /** `text` is deliberately broken JSON (an injected fault). */
  readonly malformed: boolean;
}
