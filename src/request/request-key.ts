// A request's content address: SHA-256 of the canonical JSON of everything that determines its answer (provider,
// endpoint, model, messages, sampling parameters, the schema as the provider receives it, sample index). The API key
// is never part of it. The cache, the ledger and in-run dedupe all speak in these keys.

import { createHash } from 'node:crypto';
import type { AnswerSchema, ChatRequest } from '../providers/provider.js';
import { wireSchema } from '../providers/wire-schema.js';
import { canonicalJson } from './canonical-json.js';

/** Who answers: the provider and where it is reached, so a simulator's answers never stand in for a real model's. */
export interface Endpoint {
  readonly provider: string;
  /** The provider's own API (`default`), or the origins and paths of the servers given with --base-url. */
  readonly location: string;
}

export type RequestKeyer = (request: ChatRequest) => string;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function createRequestKeyer(endpoint: Endpoint): RequestKeyer {
  // The schema is the same object for every row of a job: its canonical form is hashed once, not per row.
  const schemaHashes = new WeakMap<AnswerSchema, string>();
  const schemaHash = (schema: AnswerSchema) => {
    let hash = schemaHashes.get(schema);
    if (hash === undefined) {
      hash = sha256Hex(canonicalJson(wireSchema(endpoint.provider, schema)));
      schemaHashes.set(schema, hash);
    }
    return hash;
  };
  const location = JSON.stringify(endpoint.location);
  const provider = JSON.stringify(endpoint.provider);
  // A request is keyed by the pipeline, then by the cache, then by batch mode: each request object is hashed once.
  const keys = new WeakMap<ChatRequest, string>();
  return (request) => {
    let key = keys.get(request);
    if (key === undefined) {
      key = keyOfText(request);
      keys.set(request, key);
    }
    return key;
  };

  // The canonical JSON (keys in sorted order) written out directly: this runs for every row, and is equal to
  // canonicalJson() of the same object (a test holds it to that).
  function keyOfText(request: ChatRequest): string {
    let text = `{"location":${location}`;
    if (request.maxTokens !== undefined) text += `,"maxTokens":${JSON.stringify(request.maxTokens)}`;
    text += ',"messages":[';
    for (let i = 0; i < request.messages.length; i++) {
      const message = request.messages[i]!;
      text += `${i === 0 ? '' : ','}{"content":${JSON.stringify(message.content)},"role":${JSON.stringify(message.role)}}`;
    }
    text += `],"model":${JSON.stringify(request.model)},"provider":${provider},"sample":${request.sample ?? 0}`;
    if (request.schema) text += `,"schema":${JSON.stringify(schemaHash(request.schema))}`;
    if (request.system !== undefined) text += `,"system":${JSON.stringify(request.system)}`;
    if (request.temperature !== undefined) text += `,"temperature":${JSON.stringify(request.temperature)}`;
    return sha256Hex(text + ',"v":1}');
  }
}

/** The prompt alone (system and messages), for the `_prompt_hash` audit column: rows with equal prompts share it. */
export function promptHash(request: ChatRequest): string {
  const hash = createHash('sha256');
  if (request.system !== undefined) hash.update(request.system);
  for (const message of request.messages) hash.update(`\u0000${message.role}\u0000${message.content}`);
  return hash.digest('hex').slice(0, 16);
}

/** The endpoint part of the key: the sorted, de-duplicated base URLs, or `default` for the provider's own API. */
export function endpointLocation(baseUrls: readonly URL[]): string {
  if (baseUrls.length === 0) return 'default';
  return [...new Set(baseUrls.map((url) => url.href.replace(/\/+$/, '')))].sort().join(' ');
}
