// The question of the throughput benchmark, in one place so llmap's command line and the baseline script ask
// exactly the same thing. Kept free of imports: the baseline loads it, and its start-up is measured.

export const REVIEW_PROMPT_PREFIX = 'Classify this review: ';

export const REVIEW_SCHEMA = {
  type: 'object',
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
    score: { type: 'number', minimum: 0, maximum: 1 },
    summary: { type: 'string', maxLength: 80 },
  },
  required: ['sentiment', 'score', 'summary'],
  additionalProperties: false,
};
