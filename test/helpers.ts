// Shared by the end-to-end tests: the real CLI as a child process, a simulator, and reading outputs back.

import { spawn } from 'node:child_process';
import { chmodSync, createWriteStream, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { describeRelation, openDuckDB, sqlString } from '../src/table/duckdb.js';

export const CLI = resolve(import.meta.dirname, '../src/cli/main.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningCli {
  readonly child: ReturnType<typeof spawn>;
  readonly done: Promise<CliResult>;
}

/**
 * Starts `llmap <args>` with only the given environment variables (plus PATH), in `cwd` if given. Unless the test
 * names one, each run gets an empty response cache of its own, so no test is answered by another's cache.
 */
export function startCli(
  args: readonly string[],
  env: Record<string, string> = {},
  options: { readonly cwd?: string } = {},
): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env['PATH'] ?? '', LLMAP_CACHE_DIR: tempDir('cache'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolvePromise) => {
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
  return { child, done };
}

export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  options: { readonly cwd?: string } = {},
): Promise<CliResult> {
  return startCli(args, env, options).done;
}

/**
 * The repository root as a user has it, for running documented examples as written: `examples/` in it, in a
 * directory of its own (so `out/` is the test's), and `llmap` in its `bin/` (put it on the PATH).
 */
export function exampleRoot(prefix: string): { readonly root: string; readonly bin: string } {
  const root = tempDir(prefix);
  symlinkSync(EXAMPLES_DIR, join(root, 'examples'));
  const bin = join(root, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'llmap'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(join(bin, 'llmap'), 0o755);
  return { root, bin };
}

const EXAMPLES_DIR = resolve(import.meta.dirname, '../../examples');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `llmap-${prefix}-`));
}

/** A CSV of `rows` product reviews: id, text, stars. Streams to disk, so large tables cost no memory. */
export async function writeReviewsCsv(path: string, rows: number): Promise<string> {
  const out = createWriteStream(path);
  out.write('id,text,stars\n');
  for (let i = 0; i < rows; i++) {
    const line = `${i},"Review ${i}: the blender ${i % 3 === 0 ? 'broke after a week' : 'works, ""fine"" mostly'}",${(i % 5) + 1}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return path;
}

/** The README's example tickets. */
export const EXAMPLE_TICKETS = resolve(import.meta.dirname, '../../examples/tickets.csv');

/**
 * A CSV of `rows` support tickets: the example tickets over and over, each body ending in its row number, so every
 * row is its own request (the README's triage job at any scale).
 */
export async function writeTicketsCsv(path: string, rows: number): Promise<string> {
  // Every cell as text (or null), so each row is written back as it was read.
  const tickets = await duckdbRows(`SELECT * FROM read_csv(${sqlString(EXAMPLE_TICKETS)}, all_varchar = true)`);
  const names = Object.keys(tickets[0]!);
  const field = (value: unknown) => {
    const text = typeof value === 'string' ? value : '';
    return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const out = createWriteStream(path);
  out.write(names.join(',') + '\n');
  for (let i = 0; i < rows; i++) {
    const ticket = tickets[i % tickets.length]!;
    const row: Record<string, unknown> = {
      ...ticket,
      ticket_id: `${String(ticket['ticket_id'])}-${i}`,
      body: `${String(ticket['body'])} (ref ${i})`,
    };
    if (!out.write(names.map((name) => field(row[name])).join(',') + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return path;
}

/** Every row of an output file (any format DuckDB reads), in file order, in DuckDB's JSON form. */
export async function readRows(path: string): Promise<Record<string, unknown>[]> {
  const db = await openDuckDB();
  try {
    const reader = await db.connection.runAndReadAll(`SELECT * FROM ${sqlString(path)}`);
    return reader.getRowObjectsJson();
  } finally {
    db.close();
  }
}

/** Column name → DuckDB type of an output file. */
export async function readColumnTypes(path: string): Promise<Record<string, string>> {
  const db = await openDuckDB();
  try {
    const columns = await describeRelation(db, sqlString(path));
    return Object.fromEntries(columns.map((c) => [c.name, c.type]));
  } finally {
    db.close();
  }
}

/** Runs one SQL statement in a fresh in-memory DuckDB (e.g. a COPY that makes a Parquet fixture). */
export async function duckdbRun(sql: string): Promise<void> {
  const db = await openDuckDB();
  try {
    await db.connection.run(sql);
  } finally {
    db.close();
  }
}

/** The rows of one query, in DuckDB's JSON form. */
export async function duckdbRows(sql: string): Promise<Record<string, unknown>[]> {
  const db = await openDuckDB();
  try {
    return (await db.connection.runAndReadAll(sql)).getRowObjectsJson();
  } finally {
    db.close();
  }
}

/**
 * The real tiny GGUF model the tests and the local benchmark run: `../shared/models/stories260K.gguf` beside the
 * project, where CI has it (see its README there), or the path in LLMAP_TEST_MODEL.
 */
export const STORIES_MODEL =
  process.env['LLMAP_TEST_MODEL'] ?? resolve(import.meta.dirname, '../../../shared/models/stories260K.gguf');

/** A story-shaped answer: two enums and a bounded string, which the stories model fills under a grammar. */
export const STORY_SCHEMA = {
  type: 'object',
  properties: {
    mood: { enum: ['happy', 'sad'] },
    summary: { type: 'string', maxLength: 40 },
    hero: { enum: ['cat', 'dog', 'girl', 'boy'] },
  },
  required: ['mood', 'summary', 'hero'],
};

const HEROES = ['cat', 'dog', 'girl', 'boy', 'ball', 'tree', 'sun', 'park'];

/** `stories.csv` in `dir`: `rows` rows of id and a story opening. */
export function storiesCsv(dir: string, rows: number): string {
  const lines = ['id,text'];
  for (let i = 0; i < rows; i++) lines.push(`${i},The ${HEROES[i % 8]} was ${i % 3 ? 'happy' : 'sad'} on day ${i}`);
  const path = join(dir, 'stories.csv');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/**
 * A day of the drift job: 5,000 messages whose `label` is `high` with probability `high` and `medium` or `low`
 * evenly otherwise (seeded by `seed`), answered by the simulator's oracle with that label; its schema is written
 * beside it. Returns the table's path and the job's arguments (prompt and schema).
 */
export async function writeRiskDay(
  dir: string,
  seed: number,
  high: number,
): Promise<{ readonly path: string; readonly job: readonly string[] }> {
  const path = join(dir, `day-${seed}.parquet`);
  const schema = join(dir, 'risk.schema.json');
  writeFileSync(
    schema,
    JSON.stringify({
      type: 'object',
      properties: { risk: { type: 'string', enum: ['low', 'medium', 'high'] } },
      required: ['risk'],
      additionalProperties: false,
    }),
  );
  await duckdbRun(
    `COPY (SELECT i AS id, 'message ' || ${seed} || '-' || i || ' — ünïcode' AS text, ` +
      `CASE WHEN u < ${high} THEN 'high' WHEN u < ${high} + ${(1 - high) / 2} THEN 'medium' ELSE 'low' END AS label ` +
      `FROM (SELECT i, hash(i, ${seed}) / 18446744073709551616.0 AS u FROM range(5000) r(i))) ` +
      `TO ${sqlString(path)} (FORMAT parquet)`,
  );
  return { path, job: ['-p', 'Risk of: {{text}} [sim truth="{{label}}" accuracy=1]', '-s', schema] };
}
