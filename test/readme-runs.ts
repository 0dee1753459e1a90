// The two runs the README's eval and compare examples read, made the way a user makes runs: `llmap run` over a
// labelled table of 2,000 tickets (three languages, and a fourth of only 12 rows), once per prompt, against the
// simulator. Each prompt carries the simulator's `[sim truth="{{label}}" accuracy=…]` directive, so prompt A is right
// on ~90% of rows and prompt B on ~80%, and the answers are a function of the prompt text alone: the same files on
// every machine. Used by test/readme-examples.e2e.test.ts and scripts/make-readme-runs.mjs.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSim } from '../src/sim/index.js';
import { runCli } from './helpers.js';

const LABELS = ['billing', 'bug', 'account'] as const;

/** The answer's schema: a category from the labels, and an urgency flag. */
export const README_SCHEMA = {
  type: 'object',
  properties: { category: { type: 'string', enum: LABELS }, urgent: { type: 'boolean' } },
  required: ['category', 'urgent'],
};

/** 2,000 labelled tickets: id, text, label, lang (`is` for the first 12, then en, de, fr in turn). */
function ticketsCsv(): string {
  const lines = ['id,text,label,lang'];
  for (let i = 0; i < 2000; i++) {
    const lang = i < 12 ? 'is' : ['en', 'de', 'fr'][i % 3]!;
    lines.push(`t${i},"Ticket ${i}: something about ${LABELS[i % 3]}",${LABELS[(i * 7) % 3]},${lang}`);
  }
  return lines.join('\n') + '\n';
}

export interface ReadmeRuns {
  readonly tickets: string;
  readonly promptA: string;
  readonly promptB: string;
}

/** Writes `runs/tickets.csv`, `runs/prompt-a.parquet` and `runs/prompt-b.parquet` under `dir`. */
export async function makeReadmeRuns(dir: string): Promise<ReadmeRuns> {
  const runs = join(dir, 'runs');
  mkdirSync(runs, { recursive: true });
  const tickets = join(runs, 'tickets.csv');
  writeFileSync(tickets, ticketsCsv());
  const schema = join(runs, 'category.schema.json');
  writeFileSync(schema, JSON.stringify(README_SCHEMA, null, 2) + '\n');
  const sim = await startSim({ port: 0 });
  try {
    const run = async (accuracy: number, output: string): Promise<string> => {
      const prompt = `Classify this ticket: {{text}} [sim truth="{{label}}" accuracy=${accuracy}]`;
      const args = ['run', tickets, '-p', prompt, '-s', schema, '-m', 'openai:gpt-4o-mini'];
      const result = await runCli([...args, '--base-url', `${sim.url}/v1`, '-o', output]);
      if (result.code !== 0) throw new Error(`llmap run exited ${result.code}: ${result.stderr}`);
      return output;
    };
    return {
      tickets,
      promptA: await run(0.9, join(runs, 'prompt-a.parquet')),
      promptB: await run(0.8, join(runs, 'prompt-b.parquet')),
    };
  } finally {
    await sim.close();
  }
}
