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
      (summary.retries > 0 ? ` · ${formatCount(summary.retries)} retries` : ''),
    `  answered: ${formatCount(rows.resumed)} from the run state · ${formatCount(rows.cached)} from the cache · ` +
      `${formatCount(rows.ok + rows.failed + rows.invalid - rows.resumed - rows.cached)} asked`,
    `  tokens paid: ${formatCount(summary.tokens.input)} in · ${formatCount(summary.tokens.output)} out` +
      (summary.cost
        ? ` · $${summary.cost.runUsd.toFixed(4)} (job so far $${summary.cost.jobUsd.toFixed(4)}, prices of ${summary.cost.pricesAsOf})`
        : ''),
    `  output: ${summary.output}`,
    ...summary.notes.map((note) => `  ${note}`),
  ];
  if (summary.quarantine) lines.push(`  quarantine: ${summary.quarantine} (${formatCount(rows.invalid)} rows)`);
  if (summary.stopped?.kind === 'interrupted') {
    lines.push(`  interrupted: ${formatCount(rows.total - rows.written)} rows were not processed`);
    lines.push(`  resume: run the same command again (state in ${summary.stateDir})`);
  } else if (summary.stopped?.kind === 'provider') {
    lines.push(`  stopped: the provider refused the run: ${summary.stopped.message}`);
    lines.push(`  resume: fix the cause, then run the same command again (state in ${summary.stateDir})`);
  } else if (summary.stopped?.kind === 'budget') {
    lines.push(`  stopped: ${summary.stopped.message}`);
  }
  return lines.join('\n');
}
