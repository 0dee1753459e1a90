// The last step of a distributed job, once every shard is done or has failed for good: a failed shard's rows become
// failed rows with the reason (the job ends, never waits for ever), and the parts become the output. As one file in
// input order (Parquet through DuckDB, which streams the parts in the order given; JSONL and CSV parts concatenated),
// or as a dataset: a directory of Parquet parts with `_manifest.json`. The quarantine is the parts' quarantines, rows
// renumbered to their place in the output.

import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { RowOutcome } from '../executor/answer-row.js';
import { requestTemplate, jobKeyer, openJobSource } from '../job/job-source.js';
import { loadJob, type Env } from '../job/load-job.js';
import { answerColumnsOf, metaColumns, outputColumns, outputRow } from '../output/output-rows.js';
import { quarantinePathFor, type QuarantineEntry } from '../output/quarantine.js';
import { buildRequest } from '../request/build-request.js';
import { promptHash } from '../request/request-key.js';
import { openDuckDB, sqlString } from '../table/duckdb.js';
import { rowIdentity } from '../table/row-identity.js';
import { createTableWriter, siblingPath } from '../table/write-table.js';
import { partPath, type ClusterJobSpec, type ShardData } from './cluster-job.js';
import type { ShardResult } from './run-shard.js';

export interface ShardFailure {
  readonly index: number;
  readonly offset: number;
  readonly count: number;
  readonly reason: string;
}

export interface PublishedJob {
  readonly output: string;
  readonly layout: ClusterJobSpec['layout'];
  readonly rows: number;
  readonly quarantine: string | undefined;
  readonly quarantined: number;
}

/**
 * Writes the output of a job whose shards have all ended: `results` of those done, `failures` of the others.
 * `written` is told once the output is in place, before the parts are removed, so a publisher killed after it
 * need not (and could not) write the output again.
 */
export async function publishJob(
  spec: ClusterJobSpec,
  results: readonly ShardResult[],
  failures: readonly ShardFailure[],
  env: Env,
  written: (published: PublishedJob) => Promise<void>,
): Promise<PublishedJob> {
  for (const failure of failures) await writeFailedPart({ spec, job: spec.id, ...failure }, failure.reason, env);
  const parts = Array.from({ length: spec.shards }, (_, index) => partPath(spec, index));
  const missing = parts.find((part) => !existsSync(part));
  if (missing) throw new Error(`the part ${missing} of job ${spec.id} is missing: is ${spec.partsDir} shared?`);
  const rows =
    results.reduce((n, r) => n + r.rows.written, 0) + failures.reduce((n, f) => n + f.count, 0) * spec.samples;
  const quarantined = await mergeQuarantines(spec, results);
  if (spec.layout === 'dataset') await publishDataset(spec, parts, rows);
  else await publishFile(spec, parts);
  const quarantine = quarantined > 0 ? quarantinePathFor(spec.output) : undefined;
  const published = { output: spec.output, layout: spec.layout, rows, quarantine, quarantined };
  await written(published);
  rmSync(spec.partsDir, { recursive: true, force: true });
  return published;
}

/** One file in input order, written beside the output and renamed onto it. */
async function publishFile(spec: ClusterJobSpec, parts: readonly string[]): Promise<void> {
  const temporary = siblingPath(spec.output, 'merging');
  if (spec.format === 'parquet') {
    const db = await openDuckDB({ tempDirectory: siblingPath(spec.output, 'spill') });
    try {
      const list = parts.map(sqlString).join(', ');
      await db.connection.run(
        `COPY (SELECT * FROM read_parquet([${list}])) TO ${sqlString(temporary)} ` +
          `(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 20480)`,
      );
    } finally {
      db.close();
    }
  } else {
    await concatenate(parts, temporary, spec.format === 'csv');
  }
  renameSync(temporary, spec.output);
}

/** Parts one after another; CSV parts after the first lose their header line. */
async function concatenate(parts: readonly string[], target: string, csv: boolean): Promise<void> {
  const out = createWriteStream(target);
  for (const [i, part] of parts.entries()) {
    const source = createReadStream(part);
    if (csv && i > 0) {
      let header = true;
      for await (const chunk of source) {
        let buffer = chunk as Buffer;
        if (header) {
          const newline = buffer.indexOf(0x0a);
          if (newline < 0) continue;
          header = false;
          buffer = buffer.subarray(newline + 1);
        }
        if (!out.write(buffer)) await once(out, 'drain');
      }
    } else {
      for await (const chunk of source) if (!out.write(chunk)) await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'finish');
}

/** The parts moved into the output directory, with a manifest naming each and its rows, in input order. */
async function publishDataset(spec: ClusterJobSpec, parts: readonly string[], rows: number): Promise<void> {
  const staging = siblingPath(spec.output, 'dataset');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const db = await openDuckDB();
  const files = [];
  try {
    for (const part of parts) {
      const counted = await db.connection.runAndReadAll(
        `SELECT count(*)::BIGINT AS n FROM read_parquet(${sqlString(part)})`,
      );
      const n = Number(counted.getRowObjectsJson()[0]!['n']);
      renameSync(part, join(staging, basename(part)));
      files.push({ file: basename(part), rows: n });
    }
  } finally {
    db.close();
  }
  const manifest = {
    format: 'parquet',
    job: spec.id,
    model: spec.model,
    rows,
    createdAt: new Date().toISOString(),
    parts: files,
  };
  await writeFile(join(staging, '_manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  rmSync(spec.output, { recursive: true, force: true });
  renameSync(staging, spec.output);
}

/** The shards' quarantines as one, each entry's row its position in the output. */
async function mergeQuarantines(spec: ClusterJobSpec, results: readonly ShardResult[]): Promise<number> {
  const target = quarantinePathFor(spec.output);
  const temporary = siblingPath(target, 'merging');
  const out = createWriteStream(temporary);
  let count = 0;
  for (const result of [...results].sort((a, b) => a.index - b.index)) {
    if (!result.quarantine || !existsSync(result.quarantine)) continue;
    const start = shardStart(spec, result);
    for await (const line of createInterface({ input: createReadStream(result.quarantine) })) {
      if (line === '') continue;
      const entry = JSON.parse(line) as QuarantineEntry;
      out.write(JSON.stringify({ ...entry, row: entry.row + start }) + '\n');
      count++;
    }
  }
  out.end();
  await once(out, 'finish');
  if (count > 0) renameSync(temporary, target);
  else {
    rmSync(temporary, { force: true });
    rmSync(target, { force: true });
  }
  return count;
}

/** The output position of a shard's first row: the rows of the shards before it (every shard is full but the last). */
function shardStart(spec: ClusterJobSpec, result: ShardResult): number {
  return result.index * spec.shardRows * spec.samples;
}

/** A shard that failed on every attempt: its rows, failed with the reason, as its part. */
async function writeFailedPart(shard: ShardData, reason: string, env: Env): Promise<void> {
  const { spec } = shard;
  const job = {
    ...loadJob({ ...spec.options, out: partPath(spec, shard.index) }, env, { sends: false }),
    range: { offset: shard.offset, count: shard.count },
  };
  const db = await openDuckDB({ tempDirectory: siblingPath(job.output.path, 'spill') });
  try {
    const source = await openJobSource(db, job);
    const answerNames = answerColumnsOf(job).map((c) => c.name);
    const columns = outputColumns(source.columns, answerColumnsOf(job), metaColumns(job.samples));
    const writer = createTableWriter({ path: job.output.path, format: job.output.format, columns });
    const identify = rowIdentity(job.identity.idColumn);
    const template = requestTemplate(job);
    const keyOf = jobKeyer(job);
    const failed: RowOutcome = {
      status: 'failed',
      error: reason,
      attempts: 0,
      latencyMs: 0,
      inputTokens: 0,
      outputTokens: 0,
      model: '',
      cached: false,
      finishedAt: Date.now(),
    };
    let index = 0;
    for await (const batch of source.batches()) {
      for (const row of batch) {
        const rowId = identify(row);
        for (let sample = 0; sample < job.samples; sample++) {
          const request = buildRequest(template, row, sample);
          const task = { index: index++, row, rowId, sample, key: keyOf(request), promptHash: promptHash(request) };
          writer.append(outputRow(task, failed, answerNames, job.schema !== undefined, job.samples > 1));
        }
      }
    }
    await writer.finish(db);
  } finally {
    db.close();
  }
}
