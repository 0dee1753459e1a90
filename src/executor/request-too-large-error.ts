// A request that no budget of the provider could ever admit: its tokens exceed the limit per minute itself. Waiting
// does not help, so it fails its row with the reason instead of being sent and refused with 429 for ever.

import { ApiCallError } from '../providers/errors/api-call-error.js';
import type { RequestCost } from './rate-limiter.js';

const NAMES: Readonly<Record<string, string>> = {
  requests: 'requests',
  tokens: 'tokens',
  inputTokens: 'input tokens',
  outputTokens: 'output tokens',
};

export class RequestTooLargeError extends ApiCallError {
  constructor(family: string, units: number, limit: number, cost: RequestCost) {
    const count = (n: number) => Math.ceil(n).toLocaleString('en-US');
    const name = NAMES[family] ?? family;
    super({
      message:
        `the request needs ${count(units)} ${name} (prompt ${count(cost.input)} + max_tokens ${count(cost.output)}) ` +
        `but the provider allows ${count(limit)} ${name} per minute: it can never be admitted; shorten the prompt or ` +
        `lower --max-tokens`,
      isRetryable: false,
    });
  }
}
