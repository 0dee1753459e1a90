// `npm run demo`: the README's main job. Starts `llmap sim` (a local stand-in for the OpenAI API: no key, no
// cost), triages examples/tickets.csv into a typed Parquet file with the real CLI, and shows a few rows.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { DuckDBInstance } from '@duckdb/node-api';

const cli = new URL('../dist/src/cli/main.js', import.meta.url).pathname;
const sim = spawn(process.execPath, [cli, 'sim', '--port', '0', '--latency-ms', '40', '--jitter-ms', '30'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const [line] = await once(sim.stdout, 'data');
const url = /http:\/\/\S+/.exec(String(line))?.[0];
if (!url) throw new Error(`llmap sim did not start: ${String(line)}`);
console.log(`started ${String(line).trim()}\n`);

mkdirSync('out', { recursive: true });
const args = [
  'run',
  'examples/tickets.csv',
  '-p',
  'examples/triage.md',
  '-s',
  'examples/triage.schema.json',
  '-m',
  'openai:gpt-4o-mini',
  '--base-url',
  `${url}/v1`,
  '-o',
  'out/tickets.parquet',
];
console.log(`$ llmap ${args.join(' ')}\n`);
const run = spawn(process.execPath, [cli, ...args], { stdio: 'inherit' });
const [code] = await once(run, 'close');
sim.kill('SIGINT');

if (code === 0 || code === 1) {
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const reader = await db.runAndReadAll(
    `SELECT ticket_id, category, urgency, sentiment, contains_pii, left(summary, 40) AS summary, _status
     FROM 'out/tickets.parquet' LIMIT 5`,
  );
  console.log('\nFirst rows of out/tickets.parquet:');
  console.table(reader.getRowObjectsJson());
}
process.exitCode = code;
