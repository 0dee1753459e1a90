// What a person watching the run sees. On a terminal: a progress bar redrawn in place (rows done/total, rows/s,
// ETA, tokens, errors), fitted to its width. Elsewhere (CI, a log file): one plain status line every few seconds.

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
    if (tty) {
      clear();
      out.write(fittedLine(stats, now(), out.columns ?? 80));
      drawn = true;
    } else {
      out.write(progressLine(stats, now()) + '\n');
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

/** A part of the status line; when the line is too wide for the terminal, the lowest rank goes first. */
interface Part {
  readonly text: string;
  readonly rank: number;
}

/** Kept whatever the width: how far the run is, and whether rows are failing. */
const ESSENTIAL = Number.POSITIVE_INFINITY;

/** The parts in the order they are shown. */
function progressParts(stats: RunStats, now: number): Part[] {
  const seconds = Math.max(0.001, (now - stats.startedAt) / 1000);
  // Rows taken from an earlier run's state pass in a moment: the rate, and the ETA from it, count only the rows
  // answered in this run, or a resumed run would promise to finish in seconds.
  const rate = stats.answered / seconds;
  const remaining = stats.total - stats.done;
  const eta = remaining <= 0 ? '0s' : rate > 0 ? formatDuration(remaining / rate) : '?';
  const errors = stats.failed + stats.invalid;
  return [
    { text: `${formatCount(stats.done)}/${formatCount(stats.total)} rows`, rank: ESSENTIAL },
    { text: `${formatRate(rate)} rows/s`, rank: 2 },
    { text: `ETA ${eta}`, rank: 3 },
    { text: `${formatCount(stats.inputTokens + stats.outputTokens)} tokens`, rank: 0 },
    { text: `${formatCount(errors)} errors`, rank: ESSENTIAL },
    ...(stats.retries > 0 ? [{ text: `${formatCount(stats.retries)} retries`, rank: 1 }] : []),
  ];
}

const joined = (parts: readonly Part[]) => parts.map((part) => part.text).join(' · ');

/** The whole status line, as a log gets it. */
export function progressLine(stats: RunStats, now: number): string {
  return joined(progressParts(stats, now));
}

/**
 * The status line for a terminal `columns` wide (one column is left for the cursor): a bar of 10 to 40 characters
 * when there is room for it beside every part; otherwise no bar, and the least important parts dropped, tokens first,
 * then retries, the rate and the ETA, until it fits. Rows and errors are never dropped.
 */
function fittedLine(stats: RunStats, now: number, columns: number): string {
  const room = Math.max(1, columns - 1);
  let parts = progressParts(stats, now);
  for (;;) {
    const line = joined(parts);
    const barWidth = Math.min(40, room - line.length - 3);
    if (barWidth >= 10) {
      const filled = Math.round((stats.done / Math.max(1, stats.total)) * barWidth);
      return `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${line}`;
    }
    if (line.length <= room) return line;
    const droppable = parts.filter((part) => part.rank !== ESSENTIAL);
    if (droppable.length === 0) return line.slice(0, room);
    const lowest = droppable.reduce((a, b) => (b.rank < a.rank ? b : a));
    parts = parts.filter((part) => part !== lowest);
  }
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
