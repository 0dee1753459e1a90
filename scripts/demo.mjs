// `npm run demo`: the README's main job. Triages examples/tickets.csv into a typed Parquet file with the real CLI,
// on a model in llmap's own process: no API key, no data leaving the machine.
//
//   npm run demo                                   the embedded default model (downloaded once, ~1.1 GB)
//   npm run demo -- --model llama:path/to.gguf     any local GGUF file (or set LLMAP_MODEL)
//
// Without a network and without a model file, the default cannot be downloaded: the demo says so and runs the same
// job against `llmap sim` (a local stand-in for the OpenAI API) instead, so the command always shows the tool working.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { DuckDBInstance } from '@duckdb/node-api';

const cli = new URL('../dist/src/cli/main.js', import.meta.url).pathname;
const argv = process.argv.slice(2);
const modelFlag = argv.indexOf('--model');
const model = modelFlag === -1 ? process.env.LLMAP_MODEL : argv[modelFlag + 1];
const LOCAL_ROWS = 40;

mkdirSync('out', { recursive: true });
const job = ['run', 'examples/tickets.csv', '-p', 'examples/triage.md', '-s', 'examples/triage.schema.json'];
const output = ['-o', 'out/tickets.parquet'];

let code;
// A --limit run is a trial: it writes its rows to the partial file, and only a complete run writes the output.
let written = 'out/tickets.parquet';
if (model === undefined || model.startsWith('llama:')) {
  written = 'out/tickets.partial.parquet';
  // A small model on a laptop CPU answers a few rows a second: the demo triages the first tickets only.
  const args = [...job, ...(model ? ['-m', model] : []), ...output, '--limit', String(LOCAL_ROWS)];
  console.log(`$ llmap ${args.join(' ')}\n`);
  const result = await runCli(args);
  code = result.code;
  if (code === 2 && model === undefined && /cannot download/.test(result.stderr)) {
    console.log(
      '\nThe default model could not be downloaded (no network?). To run the demo on a local GGUF file:\n' +
        '  npm run demo -- --model llama:../shared/models/stories260K.gguf\n' +
        'Meanwhile, the same job against `llmap sim`, a local stand-in for the OpenAI API:\n',
    );
    code = await runAgainstSimulator();
    written = 'out/tickets.parquet';
  }
} else {
  code = (await runCli([...job, '-m', model, ...output])).code;
}

if (code === 0 || code === 1) {
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const reader = await db.runAndReadAll(
    `SELECT ticket_id, category, urgency, sentiment, contains_pii, left(summary, 40) AS summary, _status
     FROM '${written}' LIMIT 5`,
  );
  console.log(`\nFirst rows of ${written}:`);
  console.table(reader.getRowObjectsJson());
  // A row that is `invalid` is a model's answer that broke the schema, kept in quarantine: not a failed demo.
  code = 0;
}
process.exitCode = code;

async function runCli(args) {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'inherit', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    process.stderr.write(chunk);
  });
  const [exit] = await once(child, 'close');
  return { code: exit, stderr };
}

async function runAgainstSimulator() {
  const sim = spawn(process.execPath, [cli, 'sim', '--port', '0', '--latency-ms', '40', '--jitter-ms', '30'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await once(sim.stdout, 'data');
  const url = /http:\/\/\S+/.exec(String(line))?.[0];
  if (!url) throw new Error(`llmap sim did not start: ${String(line)}`);
  console.log(`started ${String(line).trim()}\n`);
  const args = [...job, '-m', 'openai:gpt-4o-mini', '--base-url', `${url}/v1`, ...output];
  console.log(`$ llmap ${args.join(' ')}\n`);
  const result = await runCli(args);
  sim.kill('SIGINT');
  return result.code;
}
