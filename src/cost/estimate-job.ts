// `llmap estimate`: what a job will cost, without sending anything (unless a sample run is asked for). Reads the
// table as `run` would, renders and keys every request, discounts what the run state and the cache already answer
// and what in-run dedupe would collapse, counts the input tokens of the rest, and prices it online and in batch.

import { jobKeyer, openJobSource, requestTemplate } from '../job/job-source.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Job } from '../job/job.js';
import { answerColumnsOf, metaColumns, outputColumns } from '../output/output-rows.js';
import { buildRequest } from '../request/build-request.js';
import type { ChatRequest } from '../providers/provider.js';
import { openSqliteCache, CACHE_FILE } from '../store/sqlite/sqlite-cache.js';
import { LEDGER_FILE, openSqliteLedger } from '../store/sqlite/sqlite-ledger.js';
import { entryKey, type LedgerEntry } from '../store/ledger-store.js';
import { openDuckDB } from '../table/duckdb.js';
import { checkJobExpectations, SkippedRows } from '../table/expectations.js';
import { rowIdentity } from '../table/row-identity.js';
import { countPromptTokens } from './count-tokens.js';
import { costOf, priceOf } from './prices.js';
import { OPENAI_BATCH_LIMITS } from '../providers/openai/openai-batch.js';
import { ANTHROPIC_BATCH_LIMITS } from '../providers/anthropic/anthropic-batch.js';

export interface Estimate {
  readonly model: string;
  readonly rows: number;
  readonly samples: number;
  /** Requests after in-run dedupe. */
  readonly distinct: number;
  readonly answeredInState: number;
  readonly inCache: number;
  readonly toAsk: number;
  /** Prompt tokens of the requests to ask, counted. */
  readonly inputTokens: number;
  /** max_tokens × requests to ask; undefined without max_tokens. */
  readonly outputTokensMax: number | undefined;
  /** From a sample run: mean output tokens × requests to ask. */
  readonly outputTokensExpected: number | undefined;
  readonly sampledRequests: number;
  readonly pricesAsOf: string;
  /** The run's --mode, and (batch or auto) how many batches the requests to ask fill at the provider's limit. */
  readonly mode: 'online' | 'batch' | 'auto';
  readonly batches: { readonly count: number; readonly maxRequests: number } | undefined;
  /** With the data checks run: rows they leave unasked (`--expect-action skip`), not counted above. */
  readonly skipped?: number;
  /** The first rows' requests (`llmap run --dry-run`). */
  readonly preview?: readonly PreviewRequest[];
  /** USD, when the model's price is known. */
  readonly cost:
    | {
        readonly online: { readonly max: number | undefined; readonly expected: number | undefined };
        readonly batch: { readonly max: number | undefined; readonly expected: number | undefined };
        readonly batchDiscount: number;
        readonly inputOnly: number;
      }
    | undefined;
}

/** Asks a handful of requests for real, to learn the typical answer length; returns output tokens of each. */
export type SampleRun = (requests: readonly ChatRequest[]) => Promise<number[]>;

export interface EstimateOptions {
  /** A few requests asked for real to learn answer lengths (`--sample-run`). */
  readonly sampleRun?: { readonly size: number; readonly run: SampleRun };
  /** Run the job's data checks first, as `run` does: a failed rule throws (exit 2); with `--expect-action skip` the
   * rows it would skip cost nothing. `llmap estimate` runs none (it has no --expect). */
  readonly checks?: boolean;
  /** Keep the first n rows' requests (`llmap run --dry-run n`). */
  readonly preview?: number;
}

/** One of the first rows' request, and what a run would do with it. */
export interface PreviewRequest {
  /** The row's number in the job's input, from 1. */
  readonly row: number;
  readonly rowId: string;
  /** Sample 0's request (every sample of a row sends the same body; the sample is part of its key only). */
  readonly request: ChatRequest;
  /** Asked, answered by the run state or the cache, the same as an earlier row's request, or skipped by a check. */
  fate: 'ask' | 'state' | 'cache' | 'duplicate' | 'skipped';
  /** The data check that skips it. */
  readonly rule?: string;
  /** Prompt tokens, counted as for the estimate. */
  readonly promptTokens: number;
}

export async function estimateJob(job: Job, options: EstimateOptions = {}): Promise<Estimate> {
  const { sampleRun } = options;
  const db = await openDuckDB();
  const ledger = existsSync(join(job.state.dir, LEDGER_FILE)) ? openSqliteLedger(job.state.dir) : undefined;
  const cache = existsSync(join(job.cache.dir, CACHE_FILE)) ? openSqliteCache(job.cache.dir) : undefined;
  try {
    const source = await openJobSource(db, job);
    // As a run checks them: the output's columns (no answer column overwrites an input one) and the data checks.
    if (options.checks)
      outputColumns(source.columns, answerColumnsOf(job), metaColumns(job.samples, job.output.keepPrompts));
    const skipped = options.checks ? (await checkJobExpectations(db, job, source)).skipped : SkippedRows.none;
    const template = requestTemplate(job);
    const keyOf = jobKeyer(job);
    const identify = rowIdentity(job.identity.idColumn);
    const seen = new Set<string>();
    const sample: ChatRequest[] = [];
    const sampleSize = sampleRun?.size ?? 0;
    const preview: PreviewRequest[] = [];
    const show = (position: number, rowId: string, request: ChatRequest, rule?: string) => {
      if (preview.length >= (options.preview ?? 0)) return undefined;
      const shown: PreviewRequest = {
        row: position + 1,
        rowId,
        request,
        fate: rule === undefined ? 'ask' : 'skipped',
        ...(rule === undefined ? {} : { rule }),
        promptTokens: countPromptTokens(request),
      };
      preview.push(shown);
      return shown;
    };
    let answeredInState = 0;
    let inCache = 0;
    let toAsk = 0;
    let inputTokens = 0;
    let position = 0;
    for await (const batch of source.batches()) {
      const ids = batch.map(identify);
      const recorded: ReadonlyMap<string, LedgerEntry> = ledger ? await ledger.getMany([...new Set(ids)]) : new Map();
      const pending: { key: string; request: ChatRequest; shown: PreviewRequest | undefined }[] = [];
      batch.forEach((row, i) => {
        const rule = skipped.ruleAt(position);
        const at = position++;
        if (rule !== undefined) return void show(at, ids[i]!, buildRequest(template, row), rule);
        for (let s = 0; s < job.samples; s++) {
          const request = buildRequest(template, row, s);
          const key = keyOf(request);
          const shown = s === 0 ? show(at, ids[i]!, request) : undefined;
          const entry = recorded.get(entryKey(ids[i]!, s));
          if (entry && entry.requestKey === key && entry.status !== 'failed') {
            answeredInState++;
            if (shown) shown.fate = 'state';
          } else if (!seen.has(key)) pending.push({ key, request, shown });
          else if (shown) shown.fate = 'duplicate';
          seen.add(key);
        }
      });
      await cache?.warm(pending.map((p) => p.key));
      for (const { key, request, shown } of pending) {
        if (cache && (await cache.get(key, 0))) {
          inCache++;
          if (shown) shown.fate = 'cache';
          continue;
        }
        toAsk++;
        inputTokens += shown?.promptTokens ?? countPromptTokens(request);
        if (sample.length < sampleSize) sample.push(request);
      }
    }
    const sampled = sample.length > 0 && sampleRun ? await sampleRun.run(sample) : [];
    const meanOutput = sampled.length > 0 ? sampled.reduce((a, b) => a + b, 0) / sampled.length : undefined;
    const outputTokensMax = job.sampling.maxTokens === undefined ? undefined : job.sampling.maxTokens * toAsk;
    const outputTokensExpected = meanOutput === undefined ? undefined : Math.round(meanOutput * toAsk);
    const price = priceOf(job.prices, job.model.provider, job.model.modelId);
    const priced = (output: number | undefined, batch: boolean) =>
      price && output !== undefined ? costOf(price, inputTokens, output, batch) : undefined;
    return {
      model: `${job.model.provider}:${job.model.modelId}`,
      rows: source.rowCount,
      samples: job.samples,
      distinct: seen.size,
      answeredInState,
      inCache,
      toAsk,
      inputTokens,
      outputTokensMax,
      outputTokensExpected,
      sampledRequests: sampled.length,
      pricesAsOf: job.prices.asOf,
      mode: job.batch.mode,
      batches: batchesFor(job, toAsk),
      ...(options.checks ? { skipped: skipped.count } : {}),
      ...(options.preview === undefined ? {} : { preview }),
      cost: price
        ? {
            online: { max: priced(outputTokensMax, false), expected: priced(outputTokensExpected, false) },
            batch: { max: priced(outputTokensMax, true), expected: priced(outputTokensExpected, true) },
            batchDiscount: price.batchDiscount,
            inputOnly: costOf(price, inputTokens, 0),
          }
        : undefined,
    };
  } finally {
    await cache?.close();
    await ledger?.close();
    db.close();
  }
}

function batchesFor(job: Job, toAsk: number): Estimate['batches'] {
  if (job.batch.mode === 'online' || job.model.provider === 'llama') return undefined;
  const limits = job.model.provider === 'openai' ? OPENAI_BATCH_LIMITS : ANTHROPIC_BATCH_LIMITS;
  const maxRequests = job.batch.maxRequests ?? limits.maxRequests;
  return { count: Math.ceil(toAsk / maxRequests), maxRequests };
}
