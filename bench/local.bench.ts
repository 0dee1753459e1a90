// In-process model throughput (issue 5): a 200-row JSON-schema job on the real stories260K model, llmap with
// --parallel 1, 2, 4 and 8 against a hand-written node-llama-cpp loop that answers one row at a time, same model,
// threads (1) and token limit, in one invocation. Two figures each: over the whole process (start-up and model load
// included, ~0.7 s of node-llama-cpp's own for both), and over the generation phase alone (first row started to last
// row finished: the loop times it, llmap's is read from its audit columns, _finished_at minus _latency_ms).

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CLI, measureNode, type MeasuredRun } from './bench-helpers.js';
import { storiesCsv, STORIES_MODEL as MODEL, STORY_SCHEMA } from '../test/helpers.js';

const MAX_TOKENS = '120';

export async function localBench(rows = 200): Promise<string[]> {
  const dir = resolve(import.meta.dirname, '../../bench/results/local');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const input = storiesCsv(dir, rows);
  const schema = join(dir, 'story.schema.json');
  writeFileSync(schema, JSON.stringify(STORY_SCHEMA));

  const report: string[] = [];
  const row = (
    label: string,
    run: MeasuredRun,
    outputTokens: number,
    generationSeconds: number,
    baseline?: { whole: number; generation: number },
  ) => {
    if (run.code !== 0 && run.code !== 1) throw new Error(`${label} failed (${run.code}): ${run.stderr}`);
    const whole = rows / run.seconds;
    const generation = rows / generationSeconds;
    const tokensPerSecond = Math.round(outputTokens / generationSeconds).toLocaleString('en-US');
    report.push(
      `local  ${label.padEnd(38)} whole ${run.seconds.toFixed(1).padStart(5)} s ${whole.toFixed(1).padStart(5)} rows/s` +
        (baseline ? ` ${(whole / baseline.whole).toFixed(2)}×` : ' 1.00×') +
        `  generating ${generationSeconds.toFixed(1).padStart(5)} s ${generation.toFixed(1).padStart(5)} rows/s ` +
        `${tokensPerSecond.padStart(5)} out tokens/s` +
        (baseline ? ` ${(generation / baseline.generation).toFixed(2)}×` : ' 1.00× (baseline)'),
    );
    return { whole, generation };
  };

  const loop = await measureNode(join(import.meta.dirname, 'baseline/llama-loop.js'), [
    MODEL,
    input,
    schema,
    join(dir, 'loop.jsonl'),
    '1',
    MAX_TOKENS,
  ]);
  const loopFigures = JSON.parse(loop.stderr.trim().split('\n').pop() ?? '{}') as {
    outputTokens: number;
    generationSeconds: number;
  };
  const baseline = row(
    'node-llama-cpp loop, one row at a time',
    loop,
    loopFigures.outputTokens,
    loopFigures.generationSeconds,
  );

  for (const parallel of [1, 2, 4, 8]) {
    const out = join(dir, `llmap-${parallel}.jsonl`);
    const run = await measureNode(CLI, [
      'run',
      input,
      '-p',
      'Story: {{text}}',
      '-s',
      schema,
      '-m',
      `llama:${MODEL}`,
      '-o',
      out,
      '--parallel',
      String(parallel),
      '--threads',
      '1',
      '--max-tokens',
      MAX_TOKENS,
      '--cache-dir',
      join(dir, `cache-${parallel}`),
    ]);
    const answers = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { _finished_at: string; _latency_ms: number; _output_tokens: number });
    const finished = answers.map((answer) => Date.parse(`${answer._finished_at.replace(' ', 'T')}Z`));
    const first = Math.min(...answers.map((answer, i) => finished[i]! - answer._latency_ms));
    const tokens = answers.reduce((sum, answer) => sum + answer._output_tokens, 0);
    row(`llmap --parallel ${parallel}`, run, tokens, (Math.max(...finished) - first) / 1000, baseline);
  }
  return report;
}
