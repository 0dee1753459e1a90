// `llmap status [STATE_DIR]`: a run's progress, running or stopped, and the command that resumes it.

import { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { costOfPaid, DEFAULT_PRICES, priceOf, type PaidTokens } from '../cost/prices.js';
import { formatCount } from '../observe/progress.js';
import { findRunDirs, readRunStatus, type RunStatus } from '../observe/run-status.js';
import { exitCodesHelp } from './exit-codes.js';
import type { CliIo } from './run-command.js';

export function statusCommand(io: CliIo): Command {
  return new Command('status')
    .description("show a run's progress from its state directory: rows by status, cache hits, how to resume")
    .argument('[state-dir]', 'a run directory, or a .llmap directory holding several', '.llmap')
    .option('--json', 'print the status as JSON')
    .option('--no-poll', 'batch mode: only read the run state, without polling the provider for its batches')
    .addHelpText(
      'after',
      `
Examples (from the repository root, after the first example of \`llmap run --help\`):
  llmap status out/.llmap                   # every run whose output is in out/
  llmap status out/.llmap/tickets.parquet   # one run

With no directory it reads ./.llmap, where runs whose output is in the current directory keep their state.

A stopped run with provider batches in flight is collected first: its command is run again with --detach, which
polls the batches, downloads the ended ones, and writes the output once every row is answered.

${exitCodesHelp([[0, 'the status is printed'], [2, 'no run state there, or a run state that cannot be read'], 70])}`,
    )
    .action(async (dir: string, flags: { json?: boolean; poll?: boolean }) => {
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
    `  state:     ${activity}`,
    `  rows:      ${formatCount(counts.entries)} of ${formatCount(meta.rowsTotal)} recorded · ok ${formatCount(counts.ok)} · ` +
      `failed ${formatCount(counts.failed)} · invalid ${formatCount(counts.invalid)}`,
    `  cache:     ${formatCount(counts.cached)} answered without a paid call`,
    `  in flight: ${formatCount(meta.inFlight)} request(s) at the last checkpoint`,
    `  tokens:    ${formatCount(counts.inputTokens)} in · ${formatCount(counts.outputTokens)} out (paid calls)` +
      spend(meta.model, counts),
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

/** The paid tokens at the built-in prices, when the model is listed. */
function spend(model: string | undefined, tokens: PaidTokens): string {
  const colon = model?.indexOf(':') ?? -1;
  const price = model && colon > 0 ? priceOf(DEFAULT_PRICES, model.slice(0, colon), model.slice(colon + 1)) : undefined;
  if (!price) return '';
  const batch = tokens.batchInputTokens + tokens.batchOutputTokens > 0 ? ', batch-answered tokens at half price' : '';
  return ` · $${costOfPaid(price, tokens).toFixed(4)} at the prices of ${DEFAULT_PRICES.asOf}${batch}`;
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
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return true;
}

function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
