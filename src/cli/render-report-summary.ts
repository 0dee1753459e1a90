// The lines a run prints about its report: where it is, and what drifted from the baseline.

import type { ReportSummary, RunSummary } from '../run/run-summary.js';
import { renderSummary } from './render-summary.js';

/** A run's summary as `run` and `embed` print it: the rows, then its report. */
export function renderRunSummary(summary: RunSummary): string {
  return [renderSummary(summary), renderReportSummary(summary.report)].filter(Boolean).join('\n');
}

export function renderReportSummary(report: ReportSummary | undefined): string {
  if (!report) return '';
  if ('error' in report) return `  report: not written: ${report.error}`;
  const lines = [`  report: ${report.html} (sample: ${report.sample})`];
  const drift = report.drift;
  if (drift && drift.flagged.length === 0) {
    lines.push(`  drift: none (${drift.statistics} statistics within ${drift.sigma}σ of ${drift.baseline})`);
  }
  if (drift && drift.flagged.length > 0) {
    lines.push(
      `  drift: ${drift.flagged.length} of ${drift.statistics} statistics moved more than ${drift.sigma}σ from ${drift.baseline}:`,
    );
    const share = (v: number) => `${(v * 100).toFixed(1)}%`;
    for (const s of drift.flagged) {
      const mean = s.kind === 'mean';
      const [from, to] = mean ? [s.baseline.toFixed(2), s.current.toFixed(2)] : [share(s.baseline), share(s.current)];
      const z = Number.isFinite(s.z) ? `${s.z > 0 ? '+' : ''}${s.z.toFixed(1)}σ` : 'changed';
      lines.push(`    ${s.name} ${from} → ${to} (${z})`);
    }
  }
  return lines.join('\n');
}
