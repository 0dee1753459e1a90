// What every command that reads a job's rows needs before the first row: the table opened and scanned, the prompt's
// placeholders and the --id column checked against it, the request template, and the keyer of its endpoint. One
// place, so `run` and `estimate` render and key a row the same way.

import { checkTemplateColumns } from '../prompt/template.js';
import type { RequestTemplate } from '../request/build-request.js';
import { createRequestKeyer, endpointLocation, type RequestKeyer } from '../request/request-key.js';
import type { DuckDB } from '../table/duckdb.js';
import { openTable, type TableSource } from '../table/read-table.js';
import { checkIdColumn } from '../table/row-identity.js';
import { snapshotPostgres } from '../table/postgres/pg-snapshot.js';
import { describeInput, relationSql, type TableInput } from '../table/table-input.js';
import type { Job } from './job.js';

/** The job's table (its first --limit rows), checked against the prompt and the --id column. */
export async function openJobSource(db: DuckDB, job: Job): Promise<TableSource> {
  // A Postgres source is read once into a local file, which the run then streams like any table.
  if (job.input.kind === 'postgres') await snapshotPostgres(db, job.input.location, job.input.snapshot);
  const input = rowsOfJob(job);
  const source = await openTable(db, input);
  const columnNames = source.columns.map((c) => c.name);
  checkTemplateColumns(job.prompt.user, columnNames, job.prompt.origin);
  if (job.prompt.system) checkTemplateColumns(job.prompt.system, columnNames, `${job.prompt.origin} (system)`);
  if (job.identity.idColumn !== undefined) {
    await checkIdColumn(db, relationSql(input), source.columns, job.identity.idColumn, describeInput(job.input));
  }
  return source;
}

/** The job's input, narrowed to its --limit or its shard's range. Rows keep the input's order (DuckDB preserves
 * insertion order), so a range is the same rows on every machine. */
export function rowsOfJob(job: Job): TableInput {
  if (job.range) {
    const { offset, count } = job.range;
    return { kind: 'sql', sql: `SELECT * FROM ${relationSql(job.input)} LIMIT ${count} OFFSET ${offset}` };
  }
  if (job.limit === undefined) return job.input;
  return { kind: 'sql', sql: `SELECT * FROM ${relationSql(job.input)} LIMIT ${job.limit}` };
}

/** Everything of a request that is the same for every row. */
export function requestTemplate(job: Job): RequestTemplate {
  return {
    model: job.model.modelId,
    user: job.prompt.user,
    ...(job.prompt.system ? { system: job.prompt.system } : {}),
    ...(job.sampling.temperature === undefined ? {} : { temperature: job.sampling.temperature }),
    ...(job.sampling.maxTokens === undefined ? {} : { maxTokens: job.sampling.maxTokens }),
    ...(job.schema ? { schema: job.schema } : {}),
  };
}

/** Request keys for the job's provider and endpoint. */
export function jobKeyer(job: Job): RequestKeyer {
  const location = job.model.local ? job.model.local.identity : endpointLocation(job.model.baseUrls);
  if (job.task.kind === 'generate') return createRequestKeyer({ provider: job.model.provider, location });
  // Embeddings are another endpoint: the same text never shares a key with a chat request.
  const dimensions = job.task.dimensions === undefined ? '' : `#dimensions=${job.task.dimensions}`;
  return createRequestKeyer({ provider: `${job.model.provider}:embeddings`, location: location + dimensions });
}
