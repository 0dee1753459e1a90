// The throughput benchmark's input table, and how an output is judged: which input rows came back answered, and
// whether each answer satisfies the schema. The schema check here is ajv's, independent of llmap's own, so a
// broken answer that a tool marks as a success is caught.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { REVIEW_SCHEMA } from './review-schema.js';

export const RESULTS_DIR = join(import.meta.dirname, '../../bench/results');

const TOPICS = ['blender', 'kettle', 'toaster', 'headphones', 'backpack', 'desk lamp', 'coffee grinder'];
const VERDICTS = ['broke after a week', 'works fine, mostly', 'is exactly as described', 'is too loud', 'was a gift'];

/**
 * A JSONL table of `rows` reviews `{id, text}` under bench/results, generated once and reused. Every text is
 * distinct, so no two rows share a request and in-run dedupe cannot flatter llmap.
 */
export function reviewsJsonl(rows: number): string {
  const path = join(RESULTS_DIR, `reviews-${rows}.jsonl`);
  if (existsSync(path)) return path;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const lines: string[] = [];
  for (let id = 0; id < rows; id++) {
    const text = `Review ${id}: the ${TOPICS[id % TOPICS.length]} ${VERDICTS[id % VERDICTS.length]}.`;
    lines.push(JSON.stringify({ id, text }));
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

const CLAUSES = [
  'the motor hums louder than the one it replaced',
  'the lid fits well and the seal holds after many washes',
  'delivery took two weeks and the box arrived dented',
  'customer service answered within a day and sent a new part',
  'the manual is short, translated badly, and misses a step',
  'it is lighter than it looks and easy to store',
  'the price went up by a third since I bought the first one',
  'after a month the buttons stick and the display flickers',
];

/**
 * A JSONL table of `rows` long reviews (`words` words or so each, distinct per row) for a token-bound job, generated
 * once and reused.
 */
export function longReviewsJsonl(rows: number, words: number): string {
  const path = join(RESULTS_DIR, `long-reviews-${rows}-${words}.jsonl`);
  if (existsSync(path)) return path;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const lines: string[] = [];
  for (let id = 0; id < rows; id++) {
    const parts = [`Review ${id}: the ${TOPICS[id % TOPICS.length]} ${VERDICTS[id % VERDICTS.length]}.`];
    for (let n = 0, count = 8; count < words; n++) {
      const clause = CLAUSES[(id * 7 + n * 3) % CLAUSES.length]!;
      parts.push(`Day ${n + 1}: ${clause}.`);
      count += clause.split(' ').length + 2;
    }
    lines.push(JSON.stringify({ id, text: parts.join(' ') }));
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/** The answer a tool claims for an output row, or undefined when the row says it has none. */
export type AnswerOf = (row: Record<string, unknown>) => Record<string, unknown> | undefined;

/** llmap: a row is answered when `_status` is ok; the answer is the schema's columns. */
export const llmapAnswer: AnswerOf = (row) => {
  if (row['_status'] !== 'ok') return undefined;
  const answer: Record<string, unknown> = {};
  for (const key of Object.keys(REVIEW_SCHEMA.properties)) if (key in row) answer[key] = row[key];
  return answer;
};

/** The baseline: a row is answered unless it carries an error; the answer is everything but the id. */
export const baselineAnswer: AnswerOf = (row) => {
  if ('error' in row) return undefined;
  const { id: _id, ...answer } = row;
  return answer;
};

export interface Outcome {
  /** Input rows without an answer: missing from the output, or present but failed, invalid or in error. */
  readonly lost: number;
  /** Answered rows whose answer satisfies the schema. */
  readonly correct: number;
  /** Answered rows whose answer does not: a broken answer passed off as a success. */
  readonly brokenOk: number;
}

const validate = new Ajv().compile(REVIEW_SCHEMA);

/** Judges the output JSONL of a run over the `rows`-row table (ids 0..rows-1); no output means every row lost. */
export function judgeOutput(rows: number, outputPath: string, answerOf: AnswerOf): Outcome {
  const byId = existsSync(outputPath) ? outputRowsById(outputPath) : new Map<string, Record<string, unknown>>();
  let lost = 0;
  let correct = 0;
  for (let id = 0; id < rows; id++) {
    const row = byId.get(String(id));
    const answer = row && answerOf(row);
    if (answer === undefined) lost++;
    else if (validate(answer)) correct++;
  }
  return { lost, correct, brokenOk: rows - lost - correct };
}

function outputRowsById(path: string): Map<string, Record<string, unknown>> {
  const byId = new Map<string, Record<string, unknown>>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as Record<string, unknown>;
    byId.set(String(row['id']), row);
  }
  return byId;
}
