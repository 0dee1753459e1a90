// A job's fingerprint: one short hash per part that decides its answers (input, prompt, schema, model,
// parameters). Stored with the run state, so a re-run can say what changed since the last run.

import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { canonicalJson } from '../request/canonical-json.js';
import { endpointLocation, sha256Hex } from '../request/request-key.js';
import { isGlob } from '../table/table-input.js';
import type { Job } from './job.js';

export interface JobFingerprint {
  readonly input: string;
  readonly prompt: string;
  readonly schema: string;
  readonly model: string;
  readonly params: string;
}

export function jobFingerprint(job: Job): JobFingerprint {
  const hash = (value: unknown) => sha256Hex(canonicalJson(value)).slice(0, 16);
  return {
    input: hash(inputIdentity(job)),
    prompt: hash({ system: job.prompt.system?.parts, user: job.prompt.user.parts }),
    schema: hash(job.schema ? { name: job.schema.name, jsonSchema: job.schema.jsonSchema } : null),
    model: hash({
      provider: job.model.provider,
      model: job.model.modelId,
      endpoint: endpointLocation(job.model.baseUrls),
    }),
    params: hash({
      ...job.sampling,
      samples: job.samples,
      id: job.identity.idColumn,
      limit: job.limit,
      ...(job.task.kind === 'embed' ? { embed: { dimensions: job.task.dimensions ?? null } } : {}),
    }),
  };
}

/**
 * Whether two jobs ask the same request of rows with the same content: everything in a request key that is not the
 * row (prompt, schema, model and endpoint, sampling parameters) is equal.
 */
export function sameRequests(a: JobFingerprint, b: JobFingerprint): boolean {
  return a.prompt === b.prompt && a.schema === b.schema && a.model === b.model && a.params === b.params;
}

/** The parts that differ, by name, e.g. `['prompt', 'model']`. */
export function fingerprintChanges(previous: JobFingerprint, current: JobFingerprint): (keyof JobFingerprint)[] {
  return (Object.keys(current) as (keyof JobFingerprint)[]).filter((part) => previous[part] !== current[part]);
}

/** A file is known by its path, size and modification time; a query by its text. */
function inputIdentity(job: Job): unknown {
  if (job.input.kind === 'sql') return { sql: job.input.sql };
  // A Postgres source is known by where it is, not by its snapshot (taken again by every run).
  if (job.input.kind === 'postgres') {
    const { shown, table, sql } = job.input.location;
    return { postgres: shown, table: table ?? null, sql: sql ?? null };
  }
  const path = resolve(job.input.path);
  if (isGlob(job.input.path)) return { glob: path };
  const stat = statSync(path);
  return { path, size: stat.size, mtimeMs: stat.mtimeMs };
}
