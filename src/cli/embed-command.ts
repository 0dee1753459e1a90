// `llmap embed`: a vector per row of one text column, with the same streaming, cache, resume, retries and rate limits
// as `run`. Flags → Job → runJob; no business logic here.

import { Command, Option } from 'commander';
import { redactArgs } from '../job/secret.js';
import { loadEmbedJob, type EmbedOptions } from '../job/load-job.js';
import { renderRunSummary } from './render-report-summary.js';
import { exitCodesHelp } from './exit-codes.js';
import { exitCodeFor, jobOptions, runWithSignals, withTableJobOptions, type CliIo } from './run-command.js';

const EXAMPLES = `
Examples (from the repository root; with OPENAI_BASE_URL=http://127.0.0.1:8787/v1 they run against
\`llmap sim --port 8787\`):
  # Embed the body of every ticket through OpenAI (key from OPENAI_API_KEY), 256 dimensions
  llmap embed examples/tickets.csv --column body -m openai:text-embedding-3-small --dimensions 256 \\
    -o out/tickets.emb.parquet

  # Vectors of length 1, 64 texts per request
  llmap embed examples/tickets.csv --column body -m openai:text-embedding-3-small --normalize --batch-size 64 \\
    -o out/tickets.emb.parquet

With -m llama:<file.gguf> a local model embeds the texts, with no key and no network.

Output: the input columns, an "embedding" column (FLOAT[], one vector per row, the same length for every row), and
the status and audit columns of \`llmap run\`.

${exitCodesHelp([0, 1, 2, 3, 7, 70, 130])}`;

export function embedCommand(io: CliIo, setExitCode: (code: number) => void, argv: readonly string[]): Command {
  const command = redactArgs(argv.filter((arg) => arg !== '--fresh'));
  return withTableJobOptions(
    new Command('embed')
      .description('write an embedding vector per row of a text column')
      .argument('[input]', 'a .csv, .tsv, .jsonl/.ndjson or .parquet file, or a glob of them')
      .requiredOption('--column <name>', 'the column whose text is embedded')
      .option('-m, --model <provider:model>', 'openai:<embedding model> or llama:<file.gguf> (or LLMAP_EMBED_MODEL)'),
  )
    .option('--normalize', 'scale every vector to length 1')
    .option('--dimensions <n>', 'shorter vectors from models that support it (OpenAI text-embedding-3-*)')
    .option('--batch-size <n>', 'texts per embeddings request (at most 2,048 for OpenAI)', '256')
    .addOption(new Option('--json', 'print the summary as JSON on stdout (the text goes to stderr)'))
    .addHelpText('after', EXAMPLES)
    .action(async (input: string | undefined, flags: Record<string, unknown>) => {
      const options = jobOptions(input, flags) as unknown as EmbedOptions & { json?: boolean };
      const job = loadEmbedJob(options, io.env);
      const summary = await runWithSignals(job, io, command);
      // The summary is the command's report, on stdout; with --json the JSON takes its place there, and the text joins
      // the progress on stderr for whoever watches the run.
      if (options.json) {
        io.stdout.write(JSON.stringify(summary) + '\n');
        io.stderr.write(renderRunSummary(summary) + '\n');
      } else {
        io.stdout.write(renderRunSummary(summary) + '\n');
      }
      setExitCode(exitCodeFor(summary));
    });
}
