// The provider simulator: a local OpenAI- and Anthropic-compatible endpoint with deterministic answers,
// rate limits and injected faults, for trying a job without paying and for testing every path of llmap.
export { startSim, type SimServer, type SimDependencies } from './sim-server.js';
export type { SimOptions } from './sim-options.js';
export type { SimStats, PromptStats } from './sim-stats.js';
export { countPromptTokens, countCompletionTokens, rateLimitTokenCost } from './token-count.js';
export { answerFromSchema } from './answer-from-schema.js';
