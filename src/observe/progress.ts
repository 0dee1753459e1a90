// What a person watching the run sees. On a terminal: a progress bar redrawn in place (rows done/total, rows/s,
// ETA, tokens, errors). Elsewhere (CI, a log file): one plain status line every few seconds.

import type { RunStats } from './run-stats.js';

export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressReporter {
  /** Prints a line above the bar (warnings, notices) without garbling it. */
  note(text: string): void;
  stop(): void;
}

export function startProgress(
  stats: RunStats,
  out: ProgressOutput,
  now: () => number,
  options: { intervalMs?: number } = {},
): ProgressReporter {
  const tty = out.isTTY === true;
  const interval = options.intervalMs ?? (tty ? 200 : 5000);
  let drawn = false;
  const clear = () => {
    if (tty && drawn) out.write('\r\x1b[2K');
    drawn = false;
  };
  const draw = () => {
    const line = progressLine(stats, now());
    if (tty) {
      clear();
      out.write(`${bar(stats, out.columns ?? 80, line)}`);
      drawn = true;
    } else {
      out.write(line + '\n');
    }
  };
  const timer = setInterval(draw, interval);
  timer.unref();
  return {
    note(text) {
      clear();
      out.write(text + '\n');
      if (tty) draw();
    },
    stop() {
      clearInterval(timer);
      clear();
    },
  };
}

export function progressLine(stats: RunStats, now: number): string {
  const seconds = Math.max(0.001, (now - stats.startedAt) / 1000);
  const rate = stats.done / seconds;
  const remaining = stats.total - stats.done;
  const eta = rate > 0 ? formatDuration(remaining / rate) : '?';
  const errors = stats.failed + stats.invalid;
  return (
    `${formatCount(stats.done)}/${formatCount(stats.total)} rows · ${formatRate(rate)} rows/s · ETA ${eta} · ` +
    `${formatCount(stats.inputTokens + stats.outputTokens)} tokens · ${errors} errors` +
    (stats.retries > 0 ? ` · ${stats.retries} retries` : '')
  );
}

function bar(stats: RunStats, columns: number, line: string): string {
  const width = Math.max(10, Math.min(40, columns - line.length - 4));
  const filled = Math.round((stats.done / Math.max(1, stats.total)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${line}`.slice(0, Math.max(20, columns - 1));
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function formatRate(rate: number): string {
  return rate >= 100 ? formatCount(Math.round(rate)) : rate.toFixed(1);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
