// What `llmap eval` and `llmap compare` print: the scores with their intervals, the paired comparison with raw and
// corrected p-values and effect sizes, the gates, and what the judge or embedding runs cost. Pure: report → text.

import type { Comparison, PairedComparison, TestResult } from '../eval/compare-runs.js';
import type { GateResult } from '../eval/gates.js';
import type { EvalReport, ScoredRun } from '../eval/run-eval.js';
import type { Interval } from '../eval/stats/bootstrap.js';
import type { ScoreStats } from '../eval/summarise.js';
import { formatCount } from '../observe/progress.js';
import { answeredParts } from './render-summary.js';
import { textTable } from './text-table.js';

const TEST_NAMES: Record<TestResult['test'], string> = {
  mcnemar: 'McNemar exact',
  paired_t: 'paired t',
  wilcoxon: 'Wilcoxon',
};

export function renderEval(report: EvalReport): string {
  const lines = [
    `llmap eval: ${runLine(report.candidate)}`,
    settingsLine(report),
    '',
    scoresTable(report.candidate.stats, report),
  ];
  lines.push(...modelRunLines(report.candidate));
  if (report.comparison) lines.push('', ...comparisonLines(report.comparison, report));
  if (report.scoresFile) lines.push('', `  per-row scores: ${report.scoresFile}`);
  if (report.gates.length > 0) lines.push('', gateLines(report.gates));
  return lines.join('\n');
}

export function renderCompare(report: EvalReport): string {
  const comparison = report.comparison!;
  const lines = [
    `llmap compare: A ${runLine(report.baseline!)}`,
    `               B ${runLine(report.candidate)}`,
    settingsLine(report),
    '',
    ...comparisonLines(comparison, report),
    ...modelRunLines(report.baseline!),
    ...modelRunLines(report.candidate),
  ];
  if (report.scoresFile) lines.push('', `  per-row scores of B: ${report.scoresFile}`);
  if (report.gates.length > 0) lines.push('', gateLines(report.gates));
  return lines.join('\n');
}

function runLine(run: ScoredRun): string {
  return (
    `${run.where} · ${formatCount(run.rows)} rows` +
    (run.notOk > 0 ? ` (${formatCount(run.notOk)} not ok in the run: no answer to score)` : '')
  );
}

function settingsLine(report: EvalReport): string {
  const s = report.settings;
  return (
    `  ${Math.round(s.confidence * 1000) / 10}% ${s.interval === 'bca' ? 'BCa' : 'percentile'} bootstrap intervals · ` +
    `${formatCount(s.resamples)} resamples · seed ${s.seed} · rows without a score ${s.missing === 'skip' ? 'left out' : 'count as 0'}`
  );
}

function scoresTable(stats: readonly ScoreStats[], report: EvalReport): string {
  const hasSegments = stats.some((s) => s.segment !== undefined);
  const header = [
    'score',
    ...(hasSegments ? ['segment'] : []),
    'n',
    'mean',
    `${percent(report.settings.confidence)} interval`,
    '',
  ];
  const rows = stats.map((s) => [
    s.segment === undefined ? s.score : '',
    ...(hasSegments ? [s.segment ?? 'all'] : []),
    formatCount(s.n),
    s.mean === undefined ? '—' : fixed(s.mean),
    s.interval ? interval(s.interval) : '',
    s.note ?? (s.n < s.rows ? `${formatCount(s.rows - s.n)} rows not scored` : ''),
  ]);
  return textTable(header, rows);
}

function comparisonLines(comparison: Comparison, report: EvalReport): string[] {
  const tests = comparison.results.reduce((n, r) => n + r.tests.filter((t) => t.informative).length, 0);
  const correction =
    comparison.correction === 'none'
      ? 'no correction for multiple comparisons'
      : `${comparison.correction === 'holm' ? 'Holm' : 'Benjamini–Hochberg'} correction across ${tests} tests`;
  const lines = [
    `  A vs B: ${formatCount(comparison.matched)} rows matched by ${comparison.joinedBy === 'id' ? 'row id' : 'position'}` +
      (comparison.onlyA + comparison.onlyB > 0
        ? ` (${formatCount(comparison.onlyA)} only in A, ${formatCount(comparison.onlyB)} only in B)`
        : '') +
      ` · ${correction}`,
    '',
  ];
  const hasSegments = comparison.results.some((r) => r.segment !== undefined);
  const header = [
    'score',
    ...(hasSegments ? ['segment'] : []),
    'n',
    'A',
    'B',
    'B − A',
    `${percent(report.settings.confidence)} interval`,
    'test',
    'p',
    comparison.correction === 'none' ? '' : `p (${comparison.correction})`,
    'effect',
  ];
  const rows: string[][] = [];
  for (const result of comparison.results) rows.push(...comparisonRows(result, hasSegments));
  lines.push(textTable(header, rows));
  const notes = comparison.results
    .filter((r) => r.note)
    .map((r) => `  note: ${r.score}${r.segment ? ` [${r.segment}]` : ''}: ${r.note}`);
  return [...lines, ...notes];
}

function comparisonRows(result: PairedComparison, hasSegments: boolean): string[][] {
  const first = [
    result.segment === undefined ? result.score : '',
    ...(hasSegments ? [result.segment ?? 'all'] : []),
    formatCount(result.n),
    result.meanA === undefined ? '—' : fixed(result.meanA),
    result.meanB === undefined ? '—' : fixed(result.meanB),
    result.difference === undefined ? '—' : signed(result.difference),
    result.interval ? interval(result.interval, true) : '',
  ];
  const effect = result.effect
    ? `${result.effect.name === 'odds_ratio' ? 'OR' : 'd'} ${short(result.effect.estimate)} ${interval(result.effect.interval, false, short)}` +
      (result.discordant ? ` (B only ${result.discordant.onlyB}, A only ${result.discordant.onlyA})` : '')
    : '';
  if (result.tests.length === 0) return [[...first, '', '', '', effect]];
  return result.tests.map((test, t) => [
    ...(t === 0 ? first : first.map(() => '')),
    TEST_NAMES[test.test],
    pValue(test.pValue),
    pValue(test.pAdjusted),
    t === 0 ? effect : '',
  ]);
}

function gateLines(gates: readonly GateResult[]): string {
  const failed = gates.filter((g) => !g.passed).length;
  const header = failed > 0 ? `gates: ${failed} of ${gates.length} FAILED` : `gates: all ${gates.length} passed`;
  const rows = gates.map((g) => [
    g.passed ? 'pass' : 'FAIL',
    g.gate.text,
    g.value === undefined ? '—' : g.gate.stat === 'n' ? formatCount(g.value) : fixed(g.value),
    g.reason ?? '',
  ]);
  return `  ${header}\n${textTable(['', 'gate', 'value', ''], rows)}`;
}

function modelRunLines(run: ScoredRun): string[] {
  return run.modelRuns.flatMap(({ score, runs }) =>
    runs.map((summary) => {
      const { rows } = summary;
      return (
        `  ${score} of ${run.where}: ${formatCount(rows.ok)} ok · ${formatCount(rows.failed + rows.invalid)} failed · ` +
        answeredParts(rows) +
        (summary.cost ? ` · $${summary.cost.runUsd.toFixed(4)}` : '')
      );
    }),
  );
}

const percent = (confidence: number) => `${Math.round(confidence * 1000) / 10}%`;
const fixed = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));
const signed = (x: number) => (x > 0 ? '+' : x < 0 ? '−' : '') + Math.abs(x).toFixed(4);
const short = (x: number) =>
  Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3)) : x > 0 ? '∞' : '−∞';

function interval(i: Interval, withSign = false, format: (x: number) => string = withSign ? signed : fixed): string {
  return `[${format(i.low)}, ${format(i.high)}]`;
}

function pValue(p: number): string {
  if (p >= 0.001) return p.toFixed(4);
  if (p < 1e-300) return '<1e-300';
  return p.toExponential(1);
}
