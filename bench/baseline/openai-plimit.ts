// The baseline of the throughput benchmark: the script a TypeScript user writes to classify a JSONL file with the
// official SDK and p-limit. Deliberately plain (SDK defaults for retries and backoff, no rate limiting, no
// validation beyond JSON.parse), because that is what llmap is compared with.
//
//   node dist/bench/baseline/openai-plimit.js input.jsonl output.jsonl baseUrl [concurrency]

import { readFile, writeFile } from 'node:fs/promises';
import OpenAI from 'openai';
import pLimit from 'p-limit';
import { REVIEW_PROMPT_PREFIX, REVIEW_SCHEMA } from '../review-schema.js';

interface Review {
  readonly id: string | number;
  readonly text: string;
}

const [input, output, baseURL, concurrency = '100'] = process.argv.slice(2);
if (!input || !output || !baseURL) {
  console.error('usage: openai-plimit input.jsonl output.jsonl baseUrl [concurrency]');
  process.exit(2);
}

const client = new OpenAI({ apiKey: 'sk-bench', baseURL });
const limit = pLimit(Number(concurrency));

async function classify(review: Review): Promise<Record<string, unknown>> {
  try {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: REVIEW_PROMPT_PREFIX + review.text }],
      response_format: { type: 'json_schema', json_schema: { name: 'review', schema: REVIEW_SCHEMA, strict: true } },
    });
    const answer = JSON.parse(completion.choices[0]?.message.content ?? '') as Record<string, unknown>;
    return { id: review.id, ...answer };
  } catch (error) {
    return { id: review.id, error: String(error) };
  }
}

const lines = (await readFile(input, 'utf8')).split('\n').filter((line) => line.trim() !== '');
const reviews = lines.map((line) => JSON.parse(line) as Review);
const results = await Promise.all(reviews.map((review) => limit(() => classify(review))));
await writeFile(output, results.map((result) => JSON.stringify(result)).join('\n') + '\n');
