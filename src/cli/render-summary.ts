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
    `  tokens: ${formatCount(summary.tokens.input)} in · ${formatCount(summary.tokens.output)} out`,
    `  output: ${summary.output}`,
  ];
  if (summary.quarantine) lines.push(`  quarantine: ${summary.quarantine} (${formatCount(rows.invalid)} rows)`);
  if (summary.stopped?.kind === 'interrupted') {
    lines.push(`  interrupted: ${formatCount(rows.total - rows.written)} rows were not processed`);
  } else if (summary.stopped?.kind === 'provider') {
    lines.push(`  stopped: the provider refused the run: ${summary.stopped.message}`);
  }
  return lines.join('\n');
}
