// `llmap eval` and `compare` with `--report FILE.html`: the scores with their intervals, and for a comparison the
// paired differences with theirs, as charts; the tests and gates as tables. The same static page as a run report:
// no script, nothing fetched.

import { writeFileSync, renameSync } from 'node:fs';
import type { EvalReport, ScoredRun } from '../../eval/run-eval.js';
import { intervalChart } from './charts.js';
import { chart, esc, page, section, table } from './render-report.js';

export async function writeEvalReport(path: string, report: EvalReport, command: 'eval' | 'compare'): Promise<void> {
  const html = await renderEvalHtml(report, command);
  const temp = `${path}.tmp`;
  writeFileSync(temp, html);
  renameSync(temp, path);
}

export async function renderEvalHtml(report: EvalReport, command: 'eval' | 'compare'): Promise<string> {
  const { settings } = report;
  const title = command === 'compare' ? 'llmap compare report' : 'llmap eval report';
  const runs = [report.candidate, ...(report.baseline ? [report.baseline] : [])];
  const body = [
    `<h1>${title}</h1>`,
    `<p class="sub">${runs.map((r) => esc(r.where)).join(' vs ')} · ${(settings.confidence * 100).toFixed(0)}% ` +
      `${esc(settings.interval)} intervals, ${settings.resamples.toLocaleString('en-US')} resamples, seed ` +
      `${settings.seed} · correction ${esc(settings.correction)}</p>`,
    await scoresSection(report),
    await comparisonSection(report),
    gatesSection(report),
  ].join('\n');
  return page(title, body);
}

async function scoresSection(report: EvalReport): Promise<string> {
  const runs: [string, ScoredRun][] = report.baseline
    ? [
        ['baseline', report.baseline],
        ['candidate', report.candidate],
      ]
    : [['candidate', report.candidate]];
  const charts: string[] = [];
  const scores = [...new Set(report.candidate.stats.map((s) => s.score))];
  for (const score of scores) {
    const rows = runs.flatMap(([run, scored]) =>
      scored.stats
        .filter((s) => s.score === score && s.mean !== undefined)
        .map((s) => ({
          label: s.segment ?? 'all rows',
          run,
          estimate: s.mean!,
          low: s.interval?.low,
          high: s.interval?.high,
        })),
    );
    if (rows.length > 0) charts.push(await chart(`score:${score}`, intervalChart(rows, score)));
  }
  const tableRows = runs.flatMap(([run, scored]) =>
    scored.stats.map((s) => [
      esc(run),
      esc(s.score),
      esc(s.segment ?? 'all rows'),
      s.n.toLocaleString('en-US'),
      s.mean === undefined ? '—' : s.mean.toFixed(4),
      s.interval ? `${s.interval.low.toFixed(4)} – ${s.interval.high.toFixed(4)}` : esc(s.note ?? '—'),
    ]),
  );
  return section(
    'scores',
    'Scores',
    `<div class="grid">${charts.join('')}</div>` +
      table(['run', 'score', 'segment', 'n', 'mean', 'interval'], tableRows, 'scores-table'),
  );
}

async function comparisonSection(report: EvalReport): Promise<string> {
  const comparison = report.comparison;
  if (!comparison) return '';
  const rows = comparison.results
    .filter((r) => r.difference !== undefined)
    .map((r) => ({
      label: `${r.score}${r.segment ? ` · ${r.segment}` : ''}`,
      run: 'candidate − baseline',
      estimate: r.difference!,
      low: r.interval?.low,
      high: r.interval?.high,
    }));
  const tests = comparison.results.flatMap((r) =>
    r.tests.map((t) => [
      esc(`${r.score}${r.segment ? ` · ${r.segment}` : ''}`),
      esc(t.test),
      t.statistic.toFixed(3),
      t.pValue.toPrecision(3),
      t.pAdjusted.toPrecision(3),
    ]),
  );
  return section(
    'comparison',
    'Paired comparison',
    `<p class="note">${comparison.matched.toLocaleString('en-US')} rows matched by ${esc(comparison.joinedBy)} ` +
      `(${comparison.onlyA} only in ${esc(comparison.a)}, ${comparison.onlyB} only in ${esc(comparison.b)}).</p>` +
      (rows.length > 0
        ? `<div class="grid">${await chart('difference', intervalChart(rows, 'difference (candidate − baseline)', 0))}</div>`
        : '') +
      table(['score', 'test', 'statistic', 'p', `p (${esc(comparison.correction)})`], tests, 'tests-table'),
  );
}

function gatesSection(report: EvalReport): string {
  if (report.gates.length === 0) return '';
  const rows = report.gates.map((g) => [
    esc(g.gate.text),
    g.value === undefined ? '—' : g.value.toFixed(4),
    g.passed ? 'passed' : '<span class="flag">failed</span>',
    esc(g.reason ?? ''),
  ]);
  return section('gates', 'Gates', table(['gate', 'value', 'result', 'reason'], rows, 'gates-table'));
}
