// The end-of-run summary a person reads: rows by status, tokens, time, and where the files are.

import type { RunSummary } from '../run-job.js';
import { formatCount, formatDuration } from '../observe/progress.js';

export function renderSummary(summary: RunSummary): string {
  const seconds = summary.elapsedMs / 1000;
  const { rows } = summary;
  const rate = seconds > 0 ? Math.round(rows.written / seconds) : rows.written;
  const lines = [
    `llmap: ${formatCount(rows.written)} of ${formatCount(rows.total)} rows written in ${formatDuration(seconds)} ` +
      `(${formatCount(rate)} rows/s)`,
    `  ok ${formatCount(rows.ok)} · failed ${formatCount(rows.failed)} · invalid ${formatCount(rows.invalid)}` +
      (rows.skipped > 0 ? ` · skipped ${formatCount(rows.skipped)}` : '') +
      (summary.retries > 0 ? ` · ${formatCount(summary.retries)} retries` : ''),
    `  answered: ${answeredParts(rows)}`,
    tokensLine(summary),
    ...(rows.skipped > 0
      ? [
          `  skipped: ${formatCount(rows.skipped)} row(s) failed a data check (--expect-action skip): written with ` +
            '_status = skipped and the rule as _error, not asked; a run whose data passes asks them',
        ]
      : []),
    ...(rows.truncated > 0
      ? [
          `  cut off at max_tokens: ${formatCount(rows.truncated)} answer(s) (see _error); raise the limit with ` +
            `--max-tokens N or max_tokens: N in the prompt's front matter`,
        ]
      : []),
    outputLine(summary),
    ...summary.notes.map((note) => `  ${note}`),
  ];
  if (summary.outages) {
    lines.push(
      `  outages: ${formatCount(summary.outages.count)} (${formatDuration(summary.outages.pausedMs / 1000)} paused; ` +
        'the rows caught in them were asked again)',
    );
  }
  if (summary.batch) lines.push(...batchLines(summary));
  if (summary.quarantine) lines.push(`  quarantine: ${summary.quarantine} (${formatCount(rows.invalid)} rows)`);
  if (summary.outputError !== undefined) {
    lines.push(
      `  resume: every answer is in the run state (${summary.stateDir}); fix the cause and run the same command ` +
        'again to write the output (nothing is asked again)',
    );
  }
  if (summary.stopped?.kind === 'interrupted') {
    lines.push(`  interrupted: ${formatCount(rows.total - rows.written)} rows were not processed`);
    lines.push(`  resume: run the same command again (state in ${summary.stateDir})`);
  } else if (summary.stopped?.kind === 'provider') {
    lines.push(`  stopped: the provider refused the run: ${summary.stopped.message}`);
    lines.push(`  resume: fix the cause, then run the same command again (state in ${summary.stateDir})`);
  } else if (summary.stopped?.kind === 'outage') {
    lines.push(`  stopped: ${summary.stopped.message}`);
    lines.push(`  resume: run the same command again once the provider answers (state in ${summary.stateDir})`);
  } else if (summary.stopped?.kind === 'budget') {
    lines.push(`  stopped: ${summary.stopped.message}`);
  }
  return lines.join('\n');
}

/** Where the rows' answers came from: the run state, the cache, another row's identical request, or a call. */
export function answeredParts(rows: RunSummary['rows']): string {
  const fromCache = rows.cached - rows.duplicates;
  const asked = rows.ok + rows.failed + rows.invalid - rows.resumed - rows.cached;
  return (
    `${formatCount(rows.resumed)} from the run state · ${formatCount(fromCache)} from the cache · ` +
    (rows.duplicates > 0 ? `${formatCount(rows.duplicates)} duplicates of another row's request · ` : '') +
    `${formatCount(asked)} asked`
  );
}

/** Tokens of this run's calls and what they cost; a local model's cost nothing, so they are not "paid". */
function tokensLine(summary: RunSummary): string {
  const { tokens, cost } = summary;
  const counts = `${formatCount(tokens.input)} in · ${formatCount(tokens.output)} out`;
  const unpriced = cost?.unpriced ? `, not counting tokens of ${cost.unpriced.join(', ')} (price unknown)` : '';
  if (!tokens.paid) {
    // What earlier runs of the job paid (another model) is still worth saying.
    const earlier =
      cost && cost.jobUsd > 0
        ? ` · job so far $${cost.jobUsd.toFixed(4)}${unpriced} (prices of ${cost.pricesAsOf})`
        : '';
    return `  tokens generated: ${counts} (no cost)${earlier}`;
  }
  if (!cost) return `  tokens paid: ${counts}`;
  return (
    `  tokens paid: ${counts} · $${cost.runUsd.toFixed(4)} ` +
    `(job so far $${cost.jobUsd.toFixed(4)}${unpriced}, prices of ${cost.pricesAsOf})`
  );
}

/** Where the rows went. A partial file says so, and names the output only a complete run writes. */
function outputLine(summary: RunSummary): string {
  const { rows } = summary;
  if (summary.outputError !== undefined) return `  output: not written: ${summary.outputError}`;
  if (!summary.output) {
    return summary.stopped ? '  output: none (no row was done)' : '  output: not written yet (rows wait for batches)';
  }
  if (summary.partial === 'limit') {
    return `  output: ${summary.output} (partial: a --limit trial run; a run without --limit writes ${summary.outputPath})`;
  }
  if (summary.partial === 'stopped') {
    return (
      `  output: ${summary.output} (partial: ${formatCount(rows.written)} of ${formatCount(rows.total)} rows; only a ` +
      `run that completes writes ${summary.outputPath}, and one there now is left as it was)`
    );
  }
  return summary.table ? `  output: ${summary.table} (from ${summary.output})` : `  output: ${summary.output}`;
}

function batchLines(summary: RunSummary): string[] {
  const batch = summary.batch!;
  const lines = [
    `  batch: ${batch.note}`,
    `  batches: ${formatCount(batch.submitted)} submitted (${formatCount(batch.requests)} requests) · ` +
      `${formatCount(batch.collected)} collected · ${formatCount(batch.live)} still running`,
    `  paid at batch prices: ${formatCount(batch.tokens.input)} in · ${formatCount(batch.tokens.output)} out` +
      (batch.savedUsd === undefined ? '' : ` · saved $${batch.savedUsd.toFixed(4)} against online prices`),
  ];
  if (batch.followUp + batch.online + batch.failedItems > 0) {
    lines.push(
      `  failed or expired batch items: ${formatCount(batch.followUp)} sent to a follow-up batch · ` +
        `${formatCount(batch.online)} asked online · ${formatCount(batch.failedItems)} recorded as failed`,
    );
  }
  if (batch.detached) {
    lines.push(
      `  detached: ${formatCount(batch.deferred)} rows wait for their batches; the output is written when all are in`,
      `  collect: run the same command again, or \`llmap status ${summary.stateDir}\``,
    );
  }
  return lines;
}
