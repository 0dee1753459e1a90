// `llmap status [STATE_DIR]`: a run's progress, running or stopped, and the command that resumes it.

import { Command } from 'commander';
import { costOf, DEFAULT_PRICES, priceOf } from '../cost/prices.js';
import { formatCount } from '../observe/progress.js';
import { findRunDirs, readRunStatus, type RunStatus } from '../observe/run-status.js';
import type { CliIo } from './run-command.js';

export function statusCommand(io: CliIo): Command {
  return new Command('status')
    .description("show a run's progress from its state directory: rows by status, cache hits, how to resume")
    .argument('[state-dir]', 'a run directory, or a .llmap directory holding several', '.llmap')
    .option('--json', 'print the status as JSON')
    .addHelpText(
      'after',
      `
Examples:
  llmap status                          # every run under ./.llmap
  llmap status data/.llmap/out.parquet  # one run`,
    )
    .action(async (dir: string, flags: { json?: boolean }) => {
      const statuses: RunStatus[] = [];
      for (const runDir of findRunDirs(dir)) statuses.push(await readRunStatus(runDir));
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
      spend(meta.model, counts.inputTokens, counts.outputTokens),
  );
  if (status.activity !== 'running' && meta.command.length > 0) {
    lines.push(`  resume:    cd ${shellQuote(meta.cwd)} && llmap ${meta.command.map(shellQuote).join(' ')}`);
  }
  return lines.join('\n');
}

/** The paid tokens at the built-in prices, when the model is listed. */
function spend(model: string | undefined, inputTokens: number, outputTokens: number): string {
  const colon = model?.indexOf(':') ?? -1;
  const price = model && colon > 0 ? priceOf(DEFAULT_PRICES, model.slice(0, colon), model.slice(colon + 1)) : undefined;
  if (!price) return '';
  return ` · $${costOf(price, inputTokens, outputTokens).toFixed(4)} at the prices of ${DEFAULT_PRICES.asOf}`;
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
