// The run report as one HTML page: no script, no stylesheet or font to fetch, charts inline as SVG, so it opens
// offline, from an email attachment, or in a browser with scripts off. Read top to bottom: did anything drift, what
// was run, how the rows ended, what the answers look like, how the run went, and rows to review.

import type { DriftCheck, DriftStatistic } from './drift.js';
import { histogramChart, renderSvg, shareChart, statusChart, timeChart } from './charts.js';
import type { CategoryProfile, ColumnProfile } from './profile-output.js';
import type { ReviewSample } from './review-sample.js';
import type { Quantiles, RunRecord } from './run-record.js';
import { timelineRates } from './timeline.js';

/** Characters of a cell shown in the sample table (the whole text is in the cell's title and the Parquet file). */
const CELL_CHARS = 240;

export async function renderReportHtml(
  record: RunRecord,
  drift: DriftCheck | undefined,
  sample: ReviewSample,
): Promise<string> {
  const title = `llmap run report: ${record.output}`;
  const body = [
    `<h1>llmap run report</h1>`,
    `<p class="sub">${esc(record.output)} · ${esc(record.createdAt)} · ${esc(runLine(record))}</p>`,
    driftSection(record, drift),
    jobSection(record),
    await rowsSection(record),
    await distributionsSection(record, drift),
    await throughputSection(record),
    sampleSection(record, sample),
  ].join('\n');
  return page(title, body);
}

/** A static page: the style inline, a policy that lets it fetch nothing. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

function runLine(record: RunRecord): string {
  const { run } = record;
  const seconds = (run.elapsedMs / 1000).toFixed(1);
  const state = run.state === 'finished' ? 'finished' : `stopped${run.stopReason ? `: ${run.stopReason}` : ''}`;
  return `${state} in ${seconds} s`;
}

function driftSection(record: RunRecord, drift: DriftCheck | undefined): string {
  if (!drift || !record.baseline) {
    return section(
      'drift',
      'Drift',
      `<p class="note">No baseline: this is the first report of this output. The next run compares its answers with ` +
        `this one (or pass <code>--baseline FILE</code>).</p>`,
    );
  }
  const changed = changedParts(record);
  const against =
    `against ${esc(record.baseline.source)}${record.baseline.createdAt ? ` (${esc(record.baseline.createdAt)})` : ''}` +
    (changed.length > 0 ? `; the job changed since: ${esc(changed.join(', '))}` : '');
  const verdict =
    drift.flagged.length === 0
      ? `<p class="ok-box">No drift: ${drift.statistics.length} statistics within ${drift.sigma}σ ${against}.</p>`
      : `<p class="alert-box"><strong>Drift: ${drift.flagged.length} of ${drift.statistics.length} statistics ` +
        `moved more than ${drift.sigma} standard errors</strong> ${against}.</p>`;
  const rows = [...drift.statistics]
    .sort((a, b) => Number(b.flagged) - Number(a.flagged) || Math.abs(b.z) - Math.abs(a.z))
    .map((s) => driftRow(s));
  const notes = drift.notes.map((n) => `<li>${esc(n)}</li>`).join('');
  return section(
    'drift',
    'Drift',
    verdict +
      table(['statistic', 'baseline', 'this run', 'z', ''], rows, 'drift-table') +
      (notes ? `<ul class="note">${notes}</ul>` : ''),
  );
}

function driftRow(s: DriftStatistic): string[] {
  const show = (v: number) => (s.kind === 'share' ? pct(v) : fmt(v));
  const z = Number.isFinite(s.z) ? s.z.toFixed(2) : s.z > 0 ? '∞' : '−∞';
  return [esc(s.name), show(s.baseline), show(s.current), z, s.flagged ? '<span class="flag">drifted</span>' : ''];
}

function changedParts(record: RunRecord): string[] {
  const before = record.baseline?.fingerprint;
  if (!before) return [];
  const now = record.job.fingerprint;
  return (Object.keys(now) as (keyof typeof now)[]).filter((k) => before[k] !== now[k]);
}

function jobSection(record: RunRecord): string {
  const { job, run } = record;
  const fingerprint = Object.entries(job.fingerprint as unknown as Record<string, string>)
    .map(([k, v]) => `${k} <code>${esc(v)}</code>`)
    .join(' · ');
  const rows: [string, string][] = [
    ['model', esc(job.model)],
    ['input', esc(job.input)],
    ['prompt', `${esc(job.prompt.origin)} · version <code>${esc(job.fingerprint.prompt)}</code>`],
    ['schema', job.schema ? `${esc(job.schema.origin)} · <code>${esc(job.fingerprint.schema)}</code>` : 'none (text)'],
    ['fingerprint', fingerprint],
    ['tokens', `${int(run.tokens.input)} in · ${int(run.tokens.output)} out`],
    ['cost', run.costUsd === undefined ? 'price unknown' : `$${run.costUsd.toFixed(4)}`],
    ['time', `${(run.elapsedMs / 1000).toFixed(1)} s · ${int(run.requests)} calls · ${int(run.retries)} retries`],
  ];
  const prompt =
    (job.prompt.system ? `<h3>System</h3><pre>${esc(job.prompt.system)}</pre>` : '') +
    `<h3>Prompt</h3><pre>${esc(job.prompt.user)}</pre>` +
    (job.schema ? `<h3>Schema</h3><pre>${esc(JSON.stringify(job.schema.jsonSchema, null, 2))}</pre>` : '');
  return section(
    'job',
    'Job',
    `<table class="kv">${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>` +
      `<details><summary>Prompt and schema</summary>${prompt}</details>`,
  );
}

async function rowsSection(record: RunRecord): Promise<string> {
  const counts = Object.entries(record.run.rows)
    .filter(
      ([status, rows]) => ['ok', 'failed', 'invalid', 'skipped'].includes(status) && (rows > 0 || status === 'ok'),
    )
    .map(([status, rows]) => ({ status, rows }));
  const other = Object.entries(record.run.rows).filter(
    ([status]) => !['ok', 'failed', 'invalid', 'skipped'].includes(status),
  );
  const errors = record.errors.map((e) => [esc(e.status), esc(e.reason || '(no message)'), int(e.rows)]);
  return section(
    'rows',
    'Rows',
    `<div class="grid">${await chart('status', statusChart(counts))}<div>` +
      `<table class="kv">${other.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${int(v)}</td></tr>`).join('')}</table>` +
      `</div></div>` +
      (errors.length > 0
        ? `<h3>Errors by reason</h3>${table(['status', 'reason', 'rows'], errors, 'errors-table')}`
        : `<p class="note">Every row ended ok.</p>`),
  );
}

async function distributionsSection(record: RunRecord, drift: DriftCheck | undefined): Promise<string> {
  const before = new Map((record.baseline?.profile.columns ?? []).map((c) => [c.name, c]));
  const flagged = new Map<string, Set<string>>();
  for (const s of drift?.flagged ?? []) {
    const set = flagged.get(s.column) ?? new Set<string>();
    set.add(s.kind === 'share' ? s.name.slice(s.column.length + 3) : 'mean');
    flagged.set(s.column, set);
  }
  const charts: string[] = [];
  for (const column of record.profile.columns) {
    const baseline = before.get(column.name);
    const marks = flagged.get(column.name) ?? new Set<string>();
    charts.push(await columnChart(column, baseline?.kind === column.kind ? baseline : undefined, marks));
  }
  if (charts.length === 0) return section('answers', 'Answers', '<p class="note">No answer columns to profile.</p>');
  return section(
    'answers',
    'Answers',
    `<p class="note">Over the ${int(record.profile.status.counts.find((c) => c.value === 'ok')?.count ?? 0)} rows ` +
      `that ended ok${record.baseline ? '; grey: the baseline' : ''}.</p><div class="grid">${charts.join('')}</div>`,
  );
}

async function columnChart(
  column: ColumnProfile,
  baseline: ColumnProfile | undefined,
  flagged: ReadonlySet<string>,
): Promise<string> {
  const caption = summaryLine(column, baseline, flagged);
  const spec =
    column.kind === 'category'
      ? shareChart(column, baseline as CategoryProfile | undefined, flagged)
      : histogramChart(column, baseline?.kind === 'category' ? undefined : baseline);
  return chart(`column:${column.name}`, spec, caption, flagged.size > 0);
}

function summaryLine(column: ColumnProfile, baseline: ColumnProfile | undefined, flagged: ReadonlySet<string>): string {
  const nulls = column.nulls > 0 ? ` · ${int(column.nulls)} null` : '';
  if (column.kind === 'category') {
    return `${int(column.n)} values${nulls}${flagged.size > 0 ? ` · drifted: ${[...flagged].map(esc).join(', ')}` : ''}`;
  }
  const was = baseline && baseline.kind !== 'category' ? ` (baseline ${fmt(baseline.mean)})` : '';
  return (
    `mean ${fmt(column.mean)}${was} · sd ${fmt(column.sd)} · min ${fmt(column.min)} · max ${fmt(column.max)}${nulls}` +
    (flagged.has('mean') ? ' · <span class="flag">mean drifted</span>' : '')
  );
}

async function throughputSection(record: RunRecord): Promise<string> {
  const rates = timelineRates(record.timeline);
  const latency = record.run.latency;
  const quantiles = (name: string, q: Quantiles | undefined) =>
    q ? [name, int(q.count), secs(q.mean), secs(q.p50), secs(q.p90), secs(q.p99)] : [name, '0', '—', '—', '—', '—'];
  const charts =
    rates.length > 0
      ? (await chart('throughput', timeChart(rates, 'rowsPerSecond', 'rows per second'))) +
        (await chart('latency', timeChart(rates, 'meanLatencySeconds', 'mean call latency (s)')))
      : '<p class="note">The run was too short to chart over time.</p>';
  return section(
    'throughput',
    'Throughput and latency',
    `<div class="grid">${charts}</div>` +
      table(
        ['', 'count', 'mean', 'p50 ≤', 'p90 ≤', 'p99 ≤'],
        [quantiles('provider calls', latency.requests), quantiles('rows: dispatch to answer', latency.timeToAnswer)],
        'latency-table',
      ),
  );
}

function sampleSection(record: RunRecord, sample: ReviewSample): string {
  const answers = new Set(record.job.answers);
  const meta = ['_status', '_error', '_model', '_prompt_version'];
  const inputs = sample.columns.filter((c) => !c.startsWith('_') && !answers.has(c));
  const columns = ['_row', ...inputs, ...record.job.answers.filter((a) => sample.columns.includes(a)), ...meta];
  const header = columns.map((c) => (answers.has(c) ? `<th class="answer">${esc(c)}</th>` : `<th>${esc(c)}</th>`));
  const rows = sample.rows.map(
    (row) =>
      `<tr>${columns.map((c) => `<td${answers.has(c) ? ' class="answer"' : ''}>${cell(row[c])}</td>`).join('')}</tr>`,
  );
  return section(
    'sample',
    'Review sample',
    `<p class="note">${int(sample.rows.length)} rows (1% of ${int(record.profile.rows)}, at least 50, at most 2,000; ` +
      `seed ${sample.seed}), also in <code>${esc(sample.path)}</code>. Input columns, then the answer ` +
      `(<span class="answer-key">blue</span>), then status, model and prompt version.</p>` +
      `<div class="scroll"><table id="sample-table"><thead><tr>${header.join('')}</tr></thead>` +
      `<tbody>${rows.join('\n')}</tbody></table></div>`,
  );
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '<span class="null">null</span>';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text.length <= CELL_CHARS) return esc(text);
  return `<span title="${esc(text)}">${esc(text.slice(0, CELL_CHARS))}…</span>`;
}

export async function chart(
  id: string,
  spec: Parameters<typeof renderSvg>[0],
  caption = '',
  flagged = false,
): Promise<string> {
  const svg = await renderSvg(spec);
  return (
    `<figure class="chart${flagged ? ' flagged' : ''}" data-chart="${esc(id)}">${svg}` +
    (caption ? `<figcaption>${caption}</figcaption>` : '') +
    `</figure>`
  );
}

export function section(id: string, title: string, content: string): string {
  return `<section id="${id}"><h2>${title}</h2>${content}</section>`;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[], id: string): string {
  return (
    `<table id="${id}"><thead><tr>${header.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('') +
    `</tbody></table>`
  );
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const secs = (v: number) => (Number.isFinite(v) ? `${v < 1 ? v.toFixed(3) : v.toFixed(2)} s` : `> 600 s`);
const fmt = (v: number) =>
  Math.abs(v) >= 1000 || Number.isInteger(v) ? v.toLocaleString('en-US', { maximumFractionDigits: 1 }) : v.toFixed(3);

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;margin:24px auto;max-width:1180px;padding:0 16px}
h1{font-size:22px;margin:0}h2{font-size:17px;border-bottom:1px solid #dde2ea;padding-bottom:4px;margin-top:28px}
h3{font-size:14px;margin:14px 0 6px}.sub{color:#5b6576;margin:4px 0 0}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #dde2ea;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f5f8}table.kv th{width:110px}code{font-size:12px;background:#f3f5f8;padding:0 3px}
pre{background:#f7f8fa;border:1px solid #dde2ea;padding:8px;white-space:pre-wrap;max-height:320px;overflow:auto}
.grid{display:flex;flex-wrap:wrap;gap:18px}.chart{margin:0;border:1px solid #e6e9ef;padding:8px;border-radius:4px}
.chart.flagged{border-color:#d64545}figcaption{font-size:12px;color:#5b6576;max-width:420px}
.note{color:#5b6576}.flag{color:#fff;background:#d64545;padding:0 5px;border-radius:3px;font-size:12px}
.alert-box{background:#fdecec;border:1px solid #d64545;padding:8px 10px}.ok-box{background:#eaf6ee;border:1px solid #2e9e5b;padding:8px 10px}
.scroll{overflow:auto;max-height:640px;border:1px solid #dde2ea}#sample-table td{max-width:380px}
th.answer,td.answer{background:#eef3fd}.answer-key{background:#eef3fd;padding:0 4px}.null{color:#9aa5b1}
`;
