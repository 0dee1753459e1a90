// `llmap sql "<query>"`: a DuckDB query with LLM functions, answered by the engine; the result to stdout, a file or
// a Postgres table. Flags → runSql → a writer; no business logic here.

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { InputError } from '../job/input-error.js';
import { defaultStateDir } from '../job/load-job.js';
import { sha256Hex } from '../request/request-key.js';
import { redactArgs } from '../job/secret.js';
import { isPostgresUrl, parsePgLocation, type PgLocation } from '../table/postgres/pg-location.js';
import { writePostgresTable } from '../table/postgres/pg-write.js';
import type { SqlRunOptions } from '../sql/answer-calls.js';
import { estimateSql, paidRows, runSql, type SqlResult } from '../sql/run-sql.js';
import { renderEstimate } from './estimate-command.js';
import { resultPreview, writeResultFile, writeResultJson } from '../sql/write-result.js';
import { outputFormatOf } from '../table/write-table.js';
import { textTable } from './text-table.js';
import { EXIT, exitCodesHelp } from './exit-codes.js';
import {
  collect,
  exitCodeFor,
  jobOptions,
  runWithSignals,
  withEngineOptions,
  withModelOptions,
  type CliIo,
} from './run-command.js';
import { formatCount } from '../observe/progress.js';

const EXAMPLES = `
Functions (named arguments optional; model defaults to --model or LLMAP_MODEL):
  llm(prompt, model := 'openai:gpt-4o-mini', system := '...', temperature := 0, max_tokens := 200)  → VARCHAR
  llm_json(prompt, schema := '<JSON Schema or file.json>', ...)  → the schema's STRUCT
  llm_filter(prompt, ...)  → BOOLEAN, for WHERE
  llm_embed(text, model := 'openai:text-embedding-3-small')  → FLOAT[]
  try_llm, try_llm_json, try_llm_filter, try_llm_embed  → STRUCT(result, error)
A call that fails is NULL (try_ variants say why); identical calls are asked once; a re-run asks nothing.

Examples (from the repository root; against \`llmap sim --port 8787\` with OPENAI_BASE_URL=http://127.0.0.1:8787/v1):
  # One sentence per ticket, printed as a table
  llmap sql "SELECT ticket_id, llm('Summarise in one sentence: ' || body) AS summary \\
    FROM 'examples/tickets.csv' LIMIT 5" -m openai:gpt-4o-mini

  # Typed fields from a schema, for the email tickets only, written to Parquet
  llmap sql "SELECT ticket_id, llm_json(body, schema := 'examples/triage.schema.json') AS triage \\
    FROM 'examples/tickets.csv' WHERE channel = 'email'" -m openai:gpt-4o-mini -o out/triage.parquet

  # Ask a yes/no question in WHERE, then label the rows it keeps, as JSON lines
  llmap sql "SELECT ticket_id, llm('One word for the product area: ' || body) AS area \\
    FROM 'examples/tickets.csv' WHERE llm_filter('Is this ticket about billing? ' || body)" \\
    -m openai:gpt-4o-mini --json

  # What a query would cost, sending nothing
  llmap sql "SELECT llm_json(body, schema := 'examples/triage.schema.json') FROM 'examples/tickets.csv'" \\
    -m openai:gpt-4o-mini --estimate

${exitCodesHelp([
  [0, 'the result is written; every call ok'],
  [1, 'the result is written, but some calls failed (NULL in the result; the summary says why)'],
  2,
  3,
  [4, 'the --budget was reached before every call was answered: no result is written; run again with a larger budget'],
  [7, 'the result could not be written (every answer is kept): run the same command again'],
  70,
  [130, 'interrupted (Ctrl-C): no result is written; the answers so far are kept, the same command resumes'],
])}`;

export function sqlCommand(io: CliIo, setExitCode: (code: number) => void, argv: readonly string[]): Command {
  return withEngineOptions(
    withModelOptions(
      new Command('sql')
        .description('run a DuckDB query whose llm(), llm_json(), llm_filter() and llm_embed() calls llmap answers')
        .argument('[query]', 'the query (or --file)')
        .option('-f, --file <query.sql>', 'read the query from a file')
        .option(
          '-o, --out <file|url>',
          'write the result to a .parquet, .jsonl or .csv file, or a table: postgres://.../db?table=name (default: print it)',
        )
        .option(
          '--attach <name=url>',
          'a Postgres table the query reads as <name>: name=postgres://user@host/db (?table=other or ?sql=... to choose)',
          collect,
          [],
        )
        .option('--json', 'print the result as JSON lines on stdout')
        .option('--max-rows <n>', 'rows printed as a table on stdout', '40')
        .option(
          '--state <dir>',
          'run state directory (default: .llmap/<output name> beside -o, else .llmap/sql-<hash>)',
        ),
    ),
  )
    .addOption(new Option('--estimate', 'what the query would cost, without sending anything'))
    .addHelpText('after', EXAMPLES)
    .action(async (queryArg: string | undefined, flags: Record<string, unknown>) => {
      const { file, out, json, maxRows, state, estimate, attach, ...engine } = flags as Record<string, unknown> & {
        attach: string[];
        file?: string;
        out?: string;
        json?: boolean;
        maxRows: string;
        state?: string;
        estimate?: boolean;
      };
      const query = queryText(queryArg, file);
      const table = out !== undefined && isPostgresUrl(out) ? parsePgLocation(out, '--out') : undefined;
      if (table && table.table === undefined) throw new InputError(`--out ${table.shown}: name the table, ?table=name`);
      const format = out === undefined ? undefined : table ? 'parquet' : outputFormatOf(out);
      if (out !== undefined && !format) {
        throw new InputError(`cannot tell the format of --out ${out}: use a .parquet, .jsonl or .csv file`);
      }
      const rowsShown = Number(maxRows);
      if (!Number.isInteger(rowsShown) || rowsShown < 0) {
        throw new InputError(`Expected \`--max-rows\` to be a whole number, got ${maxRows}`);
      }
      const options = jobOptions(undefined, engine) as SqlRunOptions;
      const stateDir = resolve(
        state ??
          (table
            ? join('.llmap', `sql-postgres-${table.table}`)
            : out !== undefined
              ? defaultStateDir(out)
              : join('.llmap', `sql-${sha256Hex(query).slice(0, 12)}`)),
      );
      const command = redactArgs(argv);
      const warned = new Set<string>();
      const attached = attach.map(attachment);
      if (estimate) {
        const estimates = await estimateSql({ query, options, stateDir, attach: attached }, io.env);
        if (estimates.length === 0) io.stdout.write('llmap estimate: the query makes no LLM call\n');
        for (const { config, estimate } of estimates) {
          io.stdout.write(
            `${FUNCTION_NAMES[config.kind]}() calls${config.schema ? ` (schema ${config.schema.length > 60 ? 'inline' : config.schema})` : ''}:\n`,
          );
          io.stdout.write(renderEstimate(estimate) + '\n');
        }
        io.stdout.write(
          "Calls whose prompt is another call's answer (llm(llm(x))) are not counted: their prompts are not known yet.\n",
        );
        return;
      }
      const result = await runSql(
        { query, options, stateDir, attach: attached },
        {
          env: io.env,
          // A config's job is an engine detail: its progress and warnings are shown, its notes (its input changes
          // with every run of the query) are not.
          run: (job) => runWithSignals(job, io, command, { notes: false, warned }),
          onPass: (pass, calls, configs) =>
            io.stderr.write(
              `llmap: run ${pass} of the query: ${formatCount(calls)} new distinct call(s)` +
                `${configs > 1 ? ` over ${configs} function settings` : ''}\n`,
            ),
        },
      );
      try {
        const to = table ? { table, file: join(stateDir, 'result.parquet') } : { file: out };
        setExitCode(await deliver(result, { ...to, format, json: json === true, rowsShown }, io));
      } finally {
        result.db.close();
      }
    });
}

const FUNCTION_NAMES = { text: 'llm', json: 'llm_json', filter: 'llm_filter', embed: 'llm_embed' } as const;

function queryText(query: string | undefined, file: string | undefined): string {
  if (query !== undefined && file !== undefined)
    throw new InputError('give the query as an argument or --file, not both');
  if (file !== undefined) {
    if (!existsSync(file)) throw new InputError(`query file not found: ${file}`);
    return readFileSync(file, 'utf8');
  }
  if (query === undefined || query.trim() === '')
    throw new InputError('missing query: llmap sql "SELECT ..." (or --file)');
  return query;
}

/** `--attach name=postgres://...`: the table `name` of that database, unless the URL names another or a query. */
function attachment(value: string): { name: string; location: PgLocation } {
  const match = /^([A-Za-z_][\w]*)=(.+)$/.exec(value);
  if (!match || !isPostgresUrl(match[2]!)) {
    throw new InputError(`--attach ${redactArgs([value])[0]}: expected name=postgres://user@host/database`);
  }
  return { name: match[1]!, location: parsePgLocation(match[2]!, '--attach', { table: match[1]! }) };
}

interface Destination {
  /** The file written (with `table`, the file whose rows then go to the table). */
  readonly file: string | undefined;
  readonly table?: PgLocation;
  readonly format: ReturnType<typeof outputFormatOf>;
  readonly json: boolean;
  readonly rowsShown: number;
}

/** Writes the result where it goes, and the summary to stderr; the exit code. */
async function deliver(result: SqlResult, to: Destination, io: CliIo): Promise<number> {
  if (result.stopped) {
    const why = result.stopped.stopped;
    const reason =
      why === undefined ? 'stopped' : why.kind === 'interrupted' ? 'interrupted' : `${why.kind}: ${why.message}`;
    io.stderr.write(
      `llmap: the query's calls were not all answered (${reason}): no result written; ` +
        'the answers so far are kept, and the same command resumes\n',
    );
    return exitCodeFor(result.stopped);
  }
  const shown = to.table ? `${to.table.shown} table ${to.table.table}` : to.file;
  if (to.file !== undefined && to.format) {
    try {
      await writeResultFile(result.db, result.table, to.file, to.format);
      if (to.table) await writePostgresTable(result.db, to.file, to.table);
    } catch (error) {
      io.stderr.write(`llmap: the result could not be written to ${shown}: ${(error as Error).message}\n`);
      return EXIT.outputNotWritten;
    }
  } else if (to.json) {
    await writeResultJson(result.db, result.table, io.stdout);
  } else {
    const preview = await resultPreview(result.db, result.table, to.rowsShown);
    io.stdout.write(textTable(preview.header, preview.rows, '') + '\n');
    if (result.rows > preview.rows.length) {
      io.stdout.write(
        `(${formatCount(result.rows - preview.rows.length)} more rows: write them with -o FILE or --json)\n`,
      );
    }
  }
  io.stderr.write(summaryLine(result, shown) + '\n');
  return result.failures.length > 0 ? EXIT.rowsNotOk : EXIT.ok;
}

function summaryLine(result: SqlResult, out: string | undefined): string {
  const paid = result.summaries.reduce((n, s) => n + paidRows(s), 0);
  const usd = result.summaries.reduce((n, s) => n + (s.cost?.runUsd ?? 0), 0);
  const failed = result.failures.reduce((n, f) => n + f.calls, 0);
  const parts = [
    `${formatCount(result.rows)} row(s)${out ? ` → ${out}` : ''}`,
    `${formatCount(result.calls.distinct)} distinct call(s) in ${result.passes} run(s) of the query`,
    `${formatCount(paid)} asked of the model`,
    ...(usd > 0 ? [`$${usd.toFixed(4)}`] : []),
    ...(failed > 0
      ? [
          `${formatCount(failed)} failed (NULL): ${result.failures.map((f) => `${f.reason} ${formatCount(f.calls)}`).join(', ')}`,
        ]
      : []),
  ];
  return `llmap: ${parts.join('; ')}`;
}
