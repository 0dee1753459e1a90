// `llmap eval` and `llmap compare`: flags → an EvalRequest → runEval, then the report on stdout (the table, or the
// JSON with --json; --summary FILE writes the JSON too) and the exit code (6 when a gate fails). No business logic.

import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { InputError } from '../job/input-error.js';
import type { Job } from '../job/job.js';
import type { Correction } from '../eval/compare-runs.js';
import { METRICS } from '../eval/metrics/registry.js';
import { runEval, type EvalReport, type EvalRequest } from '../eval/run-eval.js';
import type { MissingPolicy } from '../eval/score-table.js';
import { fileInput } from '../table/table-input.js';
import { outputFormatOf, type OutputFormat } from '../table/write-table.js';
import { EXIT, exitCodesHelp, type ExitCode } from './exit-codes.js';
import { choiceFlag, numberFlag } from './flag-values.js';
import { renderCompare, renderEval } from './render-eval.js';
import { renderSummary } from './render-summary.js';
import { writeEvalReport } from '../observe/report/eval-report.js';
import { collect, exitCodeFor, runWithSignals, type CliIo } from './run-command.js';

/** What eval and compare can end with: the judge's and embeddings' runs stop the evaluation as a run stops. */
const SCORING_EXIT_CODES: readonly (ExitCode | readonly [ExitCode, string])[] = [
  [0, 'scored (every gate passed)'],
  2,
  [3, "the judge's or embeddings' provider refused the run (bad key, unknown model)"],
  [4, "the judge's --budget was reached"],
  6,
  70,
  [130, 'interrupted (Ctrl-C) while the judge or embeddings ran'],
];

/** The labelled run the examples score: the example tickets joined with their true categories. */
const LABELLED_RUN =
  `llmap run --sql "SELECT * FROM 'examples/tickets.csv' JOIN 'examples/labels.jsonl' USING (ticket_id)" \\\n` +
  '    -p examples/triage.md -s examples/triage.schema.json';

const EVAL_EXAMPLES = `
Examples (from the repository root; with OPENAI_BASE_URL=http://127.0.0.1:8787/v1 they run against
\`llmap sim --port 8787\`):
  # A run to score: the example tickets, with their true categories beside the answers
  ${LABELLED_RUN} -m openai:gpt-4o-mini -o out/labelled.parquet

  # Accuracy of the category against the labels, with 95% intervals, overall and by channel
  llmap eval out/labelled.parquet --reference category=true_category --by channel

  # Text metrics of a free-text answer (token F1, ROUGE-L of each summary against the subject); per-row scores
  llmap eval out/labelled.parquet --answer summary --reference subject --metric f1 --metric rouge_l \\
    --scores out/labelled.scores.parquet

  # A judge with a rubric, asked through the engine (cached, rate-limited, resumable, priced)
  llmap eval out/labelled.parquet --metric judge --judge-prompt examples/judge.md -m openai:gpt-4o-mini

  # A CI gate: fail (exit 6) when accuracy is low, or dropped against a baseline run of the same rows
  ${LABELLED_RUN} -m openai:gpt-4.1-mini -o out/labelled-b.parquet
  llmap eval out/labelled-b.parquet --reference category=true_category --baseline out/labelled.parquet \\
    --gate "category.field_match >= 0.9" --gate "regression(category.field_match) <= 0.02"

Metrics (--metric NAME or NAME:key=value,...): ${METRICS.map((m) => m.name).join(', ')}, embedding_cosine
(--embed-model), judge (--judge-prompt). --list-metrics describes them.
Gates: SCORE[.mean|.ci_low|.ci_high|.n] OP NUMBER, or regression(SCORE)[.ci_low|.ci_high] OP NUMBER (baseline − candidate).

${exitCodesHelp(SCORING_EXIT_CODES)}`;

const COMPARE_EXAMPLES = `
Examples (from the repository root, after the runs of \`llmap eval --help\`):
  # Two models' runs over the same labelled rows: difference, interval, McNemar, Holm-corrected p-values
  llmap compare out/labelled.parquet out/labelled-b.parquet --reference category=true_category --by channel

  # Block a change that loses more than two points of accuracy
  llmap compare out/labelled.parquet out/labelled-b.parquet --reference category=true_category \\
    --gate "regression(category.field_match) <= 0.02"

Rows are matched by _row_id (and _sample) of llmap's outputs, or by --id COLUMN. Binary scores get McNemar's exact
test and the odds ratio (only-B-right over only-A-right); continuous ones the paired t-test, the Wilcoxon
signed-rank test and Cohen's d. Every p-value is corrected across the table (Holm; --correction bh or none).

${exitCodesHelp(SCORING_EXIT_CODES)}`;

/** The flags eval and compare share: what is scored, the statistics, the gates, and the judge's engine. */
function withScoringOptions(command: Command): Command {
  return command
    .option(
      '--reference <column|field=column>',
      'the expected answers: a column, or an answer field and its column (repeat)',
      collect,
      [],
    )
    .option('--answer <column>', 'the answer column compared with a plain --reference', 'answer')
    .option(
      '--metric <name[:key=value,...]>',
      'a metric (repeat); default exact_match, exact_match_norm, f1 (field_match for fields)',
      collect,
      [],
    )
    .option('--by <column>', 'also break every score down by this column')
    .option('--id <column>', 'the column that identifies a row (default: _row_id of an llmap output)')
    .option('--missing <skip|zero>', 'a row with no answer (failed in the run): left out, or scored 0', 'skip')
    .option('--confidence <level>', 'confidence level of the intervals', '0.95')
    .option('--resamples <n>', 'bootstrap resamples', '2000')
    .option('--seed <n>', 'bootstrap seed (same seed, same intervals)', '1')
    .option('--interval <bca|percentile>', 'the bootstrap interval shown and gated on', 'bca')
    .option('--min-rows <n>', 'fewer scored rows than this: no interval, a note instead', '30')
    .option('--correction <holm|bh|none>', 'multiple-comparison correction of the p-values', 'holm')
    .option('--gate <expression>', 'fail (exit 6) unless this holds, e.g. "exact_match >= 0.92" (repeat)', collect, [])
    .option('--scores <file>', 'write every row with a score.<name> column per score (.parquet, .jsonl or .csv)')
    .option('--summary <file>', 'write the JSON summary to this file')
    .option('--report <file.html>', 'write the scores and intervals as charts in one HTML page')
    .option('--json', 'print the report as JSON on stdout, instead of the table')
    .option('--judge-prompt <file|text>', 'the judge: a rubric prompt with {{column}} placeholders')
    .option('--judge-schema <file|json>', 'the judge answer schema (default: score 1–5 and a reason)')
    .option('--judge-field <name>', 'the schema property read as the score', 'score')
    .option('-m, --judge-model <provider:model>', 'the judge model (or LLMAP_MODEL)')
    .option('--embed-model <provider:model>', 'the embedding model of embedding_cosine (or LLMAP_EMBED_MODEL)')
    .option('--base-url <url>', 'the judge or embedding server (repeat for replicas)', collect, [])
    .option('--api-key-env <name>', 'environment variable holding the judge or embedding API key')
    .option('--rpm <n>', 'judge/embedding requests per minute allowed')
    .option('--tpm <n>', 'judge/embedding tokens per minute allowed')
    .option('--concurrency <n|auto>', 'judge/embedding requests in flight', 'auto')
    .option('--budget <usd>', 'stop the judge before its spend could pass this many US dollars')
    .option('--cache-dir <dir>', 'response cache directory (default: $LLMAP_CACHE_DIR or ~/.cache/llmap)')
    .option('--replay', 'judge and embeddings only from the cache; never open a connection')
    .option('--state <dir>', 'run state of the judge and embeddings (default: .llmap/eval beside the input)');
}

type Flags = Record<string, unknown>;

export function evalCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return withScoringOptions(
    new Command('eval')
      .description('score answers against references, with bootstrap intervals, segments and quality gates')
      .argument('[input]', 'a run output or any table (.parquet, .jsonl, .csv)')
      .option('--baseline <file>', 'a baseline run of the same rows: paired comparison and regression(...) gates')
      .option('--list-metrics', 'describe the metrics and exit'),
  )
    .addHelpText('after', EVAL_EXAMPLES)
    .action(async (input: string | undefined, flags: Flags) => {
      if (flags['listMetrics']) {
        io.stdout.write(listMetrics());
        return;
      }
      if (input === undefined) throw new InputError('llmap eval: name the table to score (a run output)');
      checkReportFlag(flags);
      const request = evalRequest(input, flags['baseline'] as string | undefined, flags, io);
      const report = await runEval(request, { run: runner(io), env: io.env });
      await finish(report, renderEval(report), flags, io, setExitCode, 'eval');
    });
}

export function compareCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return withScoringOptions(
    new Command('compare')
      .description('compare two runs over the same rows: paired differences, tests, effect sizes, corrected p-values')
      .argument('<a>', 'the baseline run output')
      .argument('<b>', 'the candidate run output'),
  )
    .addHelpText('after', COMPARE_EXAMPLES)
    .action(async (a: string, b: string, flags: Flags) => {
      checkReportFlag(flags);
      const request = evalRequest(b, a, flags, io);
      const report = await runEval(request, { run: runner(io), env: io.env });
      await finish(report, renderCompare(report), flags, io, setExitCode, 'compare');
    });
}

/** `--report` names an HTML file: said before any judge or embedding is paid for. */
function checkReportFlag(flags: Flags): void {
  const report = flags['report'] as string | undefined;
  if (report !== undefined && !/\.html?$/i.test(report)) {
    throw new InputError(`--report ${report}: the report is an HTML page; name it <file>.html`);
  }
}

function evalRequest(input: string, baseline: string | undefined, flags: Flags, io: CliIo): EvalRequest {
  const judgePrompt = flags['judgePrompt'] as string | undefined;
  const scores = flags['scores'] as string | undefined;
  return {
    input: fileInput(input),
    baseline: baseline === undefined ? undefined : fileInput(baseline),
    plan: {
      answer: flags['answer'] as string,
      references: flags['reference'] as string[],
      metrics: flags['metric'] as string[],
      by: flags['by'] as string | undefined,
      id: flags['id'] as string | undefined,
    },
    missing: choiceFlag<MissingPolicy>('--missing', flags['missing'], ['skip', 'zero']),
    stats: {
      confidence: numberFlag(
        '--confidence',
        flags['confidence'],
        (x) => x > 0 && x < 1,
        'a level between 0 and 1, e.g. 0.95',
      ),
      resamples: numberFlag(
        '--resamples',
        flags['resamples'],
        (x) => Number.isInteger(x) && x >= 100,
        'an integer of at least 100',
      ),
      seed: numberFlag('--seed', flags['seed'], (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer'),
      minRows: numberFlag(
        '--min-rows',
        flags['minRows'],
        (x) => Number.isInteger(x) && x >= 2,
        'an integer of at least 2',
      ),
      interval: choiceFlag('--interval', flags['interval'], ['bca', 'percentile'] as const),
    },
    correction: choiceFlag<Correction>('--correction', flags['correction'], ['holm', 'bh', 'none']),
    gates: flags['gate'] as string[],
    scoresOut: scores === undefined ? undefined : { path: scores, format: outputFormat(scores) },
    judge:
      judgePrompt === undefined
        ? undefined
        : {
            prompt: judgePrompt,
            schema: flags['judgeSchema'] as string | undefined,
            model: (flags['judgeModel'] as string | undefined) ?? io.env['LLMAP_MODEL'],
            field: flags['judgeField'] as string | undefined,
          },
    embedModel: (flags['embedModel'] as string | undefined) ?? io.env['LLMAP_EMBED_MODEL'],
    engine: {
      baseUrl: flags['baseUrl'] as string[],
      apiKeyEnv: flags['apiKeyEnv'] as string | undefined,
      rpm: flags['rpm'] as string | undefined,
      tpm: flags['tpm'] as string | undefined,
      concurrency: flags['concurrency'] as string | undefined,
      budget: flags['budget'] as string | undefined,
      cacheDir: flags['cacheDir'] as string | undefined,
      replay: flags['replay'] === true ? true : undefined,
    },
    stateDir: flags['state'] as string | undefined,
  };
}

/** The judge and embedding runs, with progress like `llmap run`; a run the provider refused stops the evaluation. */
function runner(io: CliIo) {
  return async (job: Job) => {
    const summary = await runWithSignals(job, io, []);
    io.stderr.write(renderSummary(summary) + '\n');
    const code = exitCodeFor(summary);
    if (code !== EXIT.ok && code !== EXIT.rowsNotOk) throw new ModelRunStopped(code);
    return summary;
  };
}

export class ModelRunStopped extends Error {
  constructor(readonly exitCode: number) {
    super(`the judge or embedding run stopped (exit ${exitCode})`);
  }
}

/** The report on stdout: the table, or with --json the JSON in its place (and in --summary FILE either way). */
async function finish(
  report: EvalReport,
  text: string,
  flags: Flags,
  io: CliIo,
  setExitCode: (code: number) => void,
  command: 'eval' | 'compare',
): Promise<void> {
  const json = JSON.stringify(report, (_key, value: unknown) =>
    typeof value === 'number' && !Number.isFinite(value) ? String(value) : value,
  );
  if (flags['summary']) writeFileSync(flags['summary'] as string, json + '\n');
  if (flags['report']) await writeEvalReport(flags['report'] as string, report, command);
  io.stdout.write((flags['json'] ? json : text) + '\n');
  setExitCode(report.gates.some((g) => !g.passed) ? EXIT.gatesFailed : EXIT.ok);
}

function listMetrics(): string {
  const lines = METRICS.map(
    (m) => `  ${m.name.padEnd(18)} ${m.kind.padEnd(10)} [${m.range.join(', ')}]  ${m.description}`,
  );
  lines.push(
    `  ${'embedding_cosine'.padEnd(18)} ${'continuous'.padEnd(10)} [-1, 1]  cosine of the answer's and the reference's embeddings (--embed-model)`,
    `  ${'judge'.padEnd(18)} ${'from schema'.padEnd(10)}          a judge model's score by a rubric (--judge-prompt, --judge-schema)`,
  );
  return lines.join('\n') + '\n';
}

function outputFormat(path: string): OutputFormat {
  const format = outputFormatOf(path);
  if (!format) throw new InputError(`--scores ${path}: expected a .parquet, .jsonl or .csv file`);
  return format;
}
