// `llmap estimate <same arguments as run>`: rows, distinct requests, what is already answered, input tokens
// counted, output tokens bounded (and expected, from a small paid sample with --sample-run N), cost online and in
// batch. Sends nothing unless --sample-run is given.

import { Command, Option } from 'commander';
import { estimateJob, type Estimate } from '../cost/estimate-job.js';
import { withCache } from '../executor/cached-provider.js';
import type { Job } from '../job/job.js';
import { jobKeyer } from '../job/job-source.js';
import { loadJob } from '../job/load-job.js';
import type { ChatRequest } from '../providers/provider.js';
import { createProvider } from '../providers/create-provider.js';
import { openSqliteCache } from '../store/sqlite/sqlite-cache.js';
import { formatCount } from '../observe/progress.js';
import { InputError } from '../job/input-error.js';
import { exitCodesHelp } from './exit-codes.js';
import { jobOptions, withJobOptions, type CliIo } from './run-command.js';

export function estimateCommand(io: CliIo): Command {
  return withJobOptions(
    new Command('estimate')
      .description('what a run would cost, without sending anything: tokens counted, cost online and in batch')
      .argument('[input]', 'the same arguments as `llmap run`'),
  )
    .option('--sample-run <n>', 'ask n requests for real (paid, then cached for the run) to learn answer lengths')
    .addOption(new Option('--json', 'print the estimate as JSON on stdout'))
    .addHelpText(
      'after',
      `
Examples (from the repository root):
  # What the example job of \`llmap run --help\` would cost: nothing is sent, no API key needed
  llmap estimate examples/tickets.csv -p examples/triage.md -s examples/triage.schema.json \\
    -m openai:gpt-4o-mini -o out/tickets.parquet

  # Expected answer lengths from 20 requests asked for real (paid, then cached for the run; key from OPENAI_API_KEY,
  # or OPENAI_BASE_URL=http://127.0.0.1:8787/v1 against \`llmap sim\`)
  llmap estimate examples/tickets.csv -p examples/triage.md -s examples/triage.schema.json \\
    -m openai:gpt-4o-mini -o out/tickets.parquet --sample-run 20

${exitCodesHelp([
  [0, 'the estimate is printed'],
  2,
  [3, 'the provider refused a --sample-run request (bad key, unknown model)'],
  70,
])}`,
    )
    .action(async (input: string | undefined, flags: Record<string, unknown>) => {
      const { sampleRun, json, ...rest } = flags;
      const size = sampleRun === undefined ? 0 : Number(sampleRun);
      if (!Number.isInteger(size) || size < 0) {
        throw new InputError(`Expected \`--sample-run\` to be a positive integer, got ${String(sampleRun)}`);
      }
      // Only a sample run sends requests, so only then is an API key needed.
      const job = loadJob(jobOptions(input, rest), io.env, { sends: size > 0 });
      const estimate = await estimateJob(
        job,
        size > 0 ? { sampleRun: { size, run: (requests) => sample(job, requests) } } : {},
      );
      io.stdout.write(json ? JSON.stringify(estimate) + '\n' : renderEstimate(estimate) + '\n');
    });
}

/** Asks the sample for real, through the cache, so the run that follows does not pay for it again. */
async function sample(job: Job, requests: readonly ChatRequest[]): Promise<number[]> {
  const provider = createProvider(job.model, { timeoutMs: job.execution.timeoutMs, connections: 16 });
  const cache = openSqliteCache(job.cache.dir);
  try {
    const cached = withCache(provider, { cache, keyOf: jobKeyer(job), notBefore: 0, now: Date.now });
    const results = await Promise.all(requests.map((request) => cached.doGenerate(request, {})));
    await cache.flush();
    return results.map((result) => result.usage.outputTokens);
  } finally {
    await cache.close();
    await provider.close();
  }
}

export function renderEstimate(e: Estimate): string {
  const usd = (value: number | undefined) => (value === undefined ? 'n/a' : `$${value.toFixed(value < 1 ? 4 : 2)}`);
  const output = [
    e.outputTokensMax === undefined
      ? 'unbounded (no max_tokens)'
      : `at most ${formatCount(e.outputTokensMax)} (max_tokens × requests)`,
    ...(e.outputTokensExpected === undefined
      ? []
      : [`expected ${formatCount(e.outputTokensExpected)} (from ${e.sampledRequests} sampled answers)`]),
  ].join(' · ');
  const lines = [
    `llmap estimate: ${e.model}`,
    `  rows:              ${formatCount(e.rows)}${e.samples > 1 ? ` × ${e.samples} samples` : ''}`,
    `  distinct requests: ${formatCount(e.distinct)} (identical requests are asked once)`,
    `  already answered:  ${formatCount(e.answeredInState)} in the run state · ${formatCount(e.inCache)} in the cache`,
    ...(e.skipped
      ? [`  skipped:           ${formatCount(e.skipped)} rows a data check fails (--expect-action skip)`]
      : []),
    `  to ask:            ${formatCount(e.toAsk)}`,
    `  input tokens:      ${formatCount(e.inputTokens)} (counted, o200k)`,
    `  output tokens:     ${output}`,
  ];
  if (e.batches) {
    lines.push(
      `  batches:           ${formatCount(e.batches.count)} of at most ${formatCount(e.batches.maxRequests)} requests ` +
        `(cached and recorded rows are not submitted)${e.mode === 'auto' ? '; auto picks batch or online by --deadline' : ''}`,
    );
  }
  if (e.cost) {
    const line = (mode: { max: number | undefined; expected: number | undefined }) =>
      `at most ${usd(mode.max)}${mode.expected === undefined ? '' : ` · expected ${usd(mode.expected)}`} ` +
      `(input alone ${usd(e.cost!.inputOnly * (mode === e.cost!.batch ? 1 - e.cost!.batchDiscount : 1))})`;
    const chosen = (mode: 'online' | 'batch') => (e.mode === mode ? `  ← --mode ${e.mode}` : '');
    lines.push(
      `  cost online:       ${line(e.cost.online)}${chosen('online')}`,
      `  cost batch:        ${line(e.cost.batch)} (−${Math.round(e.cost.batchDiscount * 100)}%)${chosen('batch')}`,
      `  prices of ${e.pricesAsOf}; override with --prices FILE`,
    );
  } else if (e.model.startsWith('llama:')) {
    lines.push(`  cost:              none per token: the model runs in this process (time, not money)`);
  } else {
    lines.push(`  cost:              unknown: no price for ${e.model} (give one with --prices FILE)`);
  }
  return lines.join('\n');
}
