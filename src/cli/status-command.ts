// `llmap status [STATE_DIR]`: a run's progress, running or stopped, and the command that resumes it.

import { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { costOfSpend, DEFAULT_PRICES, isFree, priceOfModel } from '../cost/prices.js';
import type { ModelSpend } from '../store/ledger-store.js';
import { formatCount } from '../observe/progress.js';
import { findRunDirs, readRunStatus, type RunStatus } from '../observe/run-status.js';
import { clusterStatus } from '../distributed/cluster-status.js';
import { renderClusterStatus } from './cluster-command.js';
import { exitCodesHelp } from './exit-codes.js';
import { shellQuote } from './shell-quote.js';
import type { CliIo } from './run-command.js';

export function statusCommand(io: CliIo): Command {
  return new Command('status')
    .description("show a run's progress from its state directory: rows by status, cache hits, how to resume")
    .argument('[state-dir]', 'a run directory, or a .llmap directory holding several', '.llmap')
    .option('--json', 'print the status as JSON')
    .option('--cluster <redis-url>', 'the distributed jobs on this Redis: shards, rows, spend and workers')
    .option('--no-poll', 'batch mode: only read the run state, without polling the provider for its batches')
    .addHelpText(
      'after',
      `
Examples (from the repository root, after the first example of \`llmap run --help\`):
  llmap status out/.llmap                   # every run whose output is in out/
  llmap status out/.llmap/tickets.parquet   # one run

With no directory it reads ./.llmap, where runs whose output is in the current directory keep their state.
With --cluster URL it shows the distributed jobs on that Redis instead (see \`llmap worker --help\`).

A stopped run with provider batches in flight is collected first: its command is run again with --detach, which
polls the batches, downloads the ended ones, and writes the output once every row is answered.

${exitCodesHelp([[0, 'the status is printed'], [2, 'no run state there, or a run state that cannot be read'], 70])}`,
    )
    .action(async (dir: string, flags: { json?: boolean; poll?: boolean; cluster?: string }) => {
      if (flags.cluster !== undefined) {
        const status = await clusterStatus(flags.cluster);
        io.stdout.write((flags.json ? JSON.stringify(status) : renderClusterStatus(status, flags.cluster)) + '\n');
        return;
      }
      const statuses: RunStatus[] = [];
      for (const runDir of findRunDirs(dir)) {
        let status = await readRunStatus(runDir);
        if (flags.poll !== false && collectBatches(status, io)) status = await readRunStatus(runDir);
        statuses.push(status);
      }
      if (flags.json) io.stdout.write(JSON.stringify(statuses.length === 1 ? statuses[0] : statuses) + '\n');
      else io.stdout.write(statuses.map(renderStatus).join('\n\n') + '\n');
    });
}

export function renderStatus(status: RunStatus): string {
  const { meta, counts } = status;
  const lines = [`run state: ${status.dir}`];
  if (!meta) return [...lines, '  no run has written here yet'].join('\n');
  const age = formatAge(Date.now() - meta.updatedAt);
  const activity = {
    running: `running (pid ${meta.pid} on ${meta.host}), last checkpoint ${age} ago`,
    stopped:
      meta.state === 'running'
        ? `stopped: the process (pid ${meta.pid}) is gone, killed or crashed; last checkpoint ${age} ago`
        : `stopped (${meta.stopReason ?? 'interrupted'}) ${age} ago`,
    finished: `finished ${age} ago`,
    unknown: 'unknown',
  }[status.activity];
  lines.push(
    `  output:    ${meta.output}`,
    ...(status.partial
      ? [
          `  partial:   ${status.partial} (the rows of a run that did not complete; the output is written when one does)`,
        ]
      : []),
    `  state:     ${activity}`,
    `  rows:      ${formatCount(counts.entries)} of ${formatCount(meta.rowsTotal)} recorded · ok ${formatCount(counts.ok)} · ` +
      `failed ${formatCount(counts.failed)} · invalid ${formatCount(counts.invalid)}`,
    `  cache:     ${formatCount(counts.cached)} answered without a paid call`,
    `  in flight: ${formatCount(meta.inFlight)} request(s) at the last checkpoint`,
    ...tokenLines(counts.spend),
  );
  if (status.batches) {
    const { counts: batches, live } = status.batches;
    const inFlight = batches.batches.preparing + batches.batches.uploaded + batches.batches.submitted;
    lines.push(
      `  batches:   ${formatCount(inFlight)} in flight · ${formatCount(batches.batches.collected)} collected · requests ` +
        `${formatCount(batches.items.pending)} pending, ${formatCount(batches.items.done)} answered, ` +
        `${formatCount(batches.items.error)} failed`,
      ...live.map((b) => `             ${b.batchId ?? b.localId}: ${b.providerStatus ?? b.state}`),
    );
  }
  if (status.activity !== 'running' && meta.command.length > 0) {
    lines.push(`  resume:    cd ${shellQuote(meta.cwd)} && llmap ${meta.command.map(shellQuote).join(' ')}`);
  }
  return lines.join('\n');
}

/**
 * The tokens of the job's calls across its runs, at the built-in prices of the model each run used (a run with a
 * local model cost nothing); one line per model when the runs used several.
 */
function tokenLines(spend: readonly ModelSpend[]): string[] {
  const sum = (key: 'inputTokens' | 'outputTokens') => spend.reduce((total, model) => total + model[key], 0);
  const tokens = (input: number, output: number) => `${formatCount(input)} in · ${formatCount(output)} out`;
  const lines = [
    `  tokens:    ${tokens(sum('inputTokens'), sum('outputTokens'))} (paid calls, all runs)${cost(spend)}`,
  ];
  if (spend.length > 1) {
    for (const model of spend) {
      const name = model.model || 'unrecorded model';
      lines.push(`             ${name}: ${tokens(model.inputTokens, model.outputTokens)}${cost([model], false)}`);
    }
  }
  return lines;
}

/** What `spend` cost at the built-in prices; `asOf`: say which prices (once, on the job's line). */
function cost(spend: readonly ModelSpend[], asOf = true): string {
  const prices = spend.map((model) => priceOfModel(DEFAULT_PRICES, model.model));
  if (spend.length > 0 && prices.every((price) => price && isFree(price))) return ' · no cost';
  if (prices.every((price) => !price)) return '';
  const { usd, unpriced } = costOfSpend(DEFAULT_PRICES, spend);
  const batch = spend.some((model) => model.batchInputTokens + model.batchOutputTokens > 0)
    ? ', batch-answered tokens at half price'
    : '';
  const unknown = unpriced.length > 0 ? `, not counting ${unpriced.join(', ')} (price unknown)` : '';
  return ` · $${usd.toFixed(4)}${asOf ? ` at the prices of ${DEFAULT_PRICES.asOf}` : ''}${batch}${unknown}`;
}

/** Runs a stopped batch job's own command again with --detach (it polls, downloads, and writes the output once
 * every row is in); true when it ran. */
function collectBatches(status: RunStatus, io: CliIo): boolean {
  const { meta, batches } = status;
  const inFlight = batches ? batches.counts.batches.submitted + batches.counts.batches.uploaded : 0;
  if (!meta || status.activity === 'running' || inFlight === 0 || meta.command[0] !== 'run') return false;
  io.stderr.write(`llmap: polling ${inFlight} batch(es) of ${meta.output}\n`);
  const command = meta.command.filter((arg) => arg !== '--json');
  spawnSync(process.execPath, [process.argv[1]!, ...command, ...(command.includes('--detach') ? [] : ['--detach'])], {
    cwd: meta.cwd,
    env: io.env,
    // The collecting run's summary is a log of this step: on stderr, before the status report.
    stdio: ['ignore', 2, 'inherit'],
  });
  return true;
}

function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}
