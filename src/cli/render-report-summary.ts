// The lines a run prints about its report: where it is, and what drifted from the baseline.

import type { ReportSummary } from '../run/run-summary.js';

export function renderReportSummary(report: ReportSummary | undefined): string {
  if (!report) return '';
  if ('error' in report) return `  report: not written: ${report.error}`;
  const lines = [`  report: ${report.html} (sample: ${report.sample})`];
  const drift = report.drift;
  if (drift && drift.flagged.length === 0) {
    lines.push(`  drift: none (${drift.statistics} statistics within ${drift.sigma}σ of ${drift.baseline})`);
  }
  if (drift && drift.flagged.length > 0) {
    const share = (v: number) => `${(v * 100).toFixed(1)}%`;
    for (const s of drift.flagged) {
      const [from, to] = s.name.startsWith('mean')
        ? [s.baseline.toFixed(2), s.current.toFixed(2)]
        : [share(s.baseline), share(s.current)];
      const z = Number.isFinite(s.z) ? `${s.z > 0 ? '+' : ''}${s.z.toFixed(1)}σ` : 'changed';
      lines.push(`  drift: ${s.name} ${from} → ${to} (${z}; more than ${drift.sigma}σ from ${drift.baseline})`);
    }
  }
  return lines.join('\n');
}
