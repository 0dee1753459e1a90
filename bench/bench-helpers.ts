// Shared by the benchmarks: a simulator in its own process, the CLI as a child with its peak RSS sampled from
// /proc, and generated tables. Nothing here is part of `npm test`.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeReviewsCsv, writeTicketsCsv } from '../test/helpers.js';

export const CLI = resolve(import.meta.dirname, '../src/cli/main.js');

export interface SimProcess {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startSimProcess(args: readonly string[] = []): Promise<SimProcess> {
  const child = spawn(process.execPath, [CLI, 'sim', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const url = /http:\/\/\S+/.exec(line.toString())?.[0];
  if (!url) throw new Error(`sim did not start: ${line.toString()}`);
  return {
    url,
    async stop() {
      child.kill('SIGINT');
      await once(child, 'close');
    },
  };
}

export interface MeasuredRun {
  readonly code: number | null;
  readonly seconds: number;
  /** When the child was started (epoch ms), to line its run up with a simulator's clock. */
  readonly startedAtMs: number;
  /** Peak resident set size of the child, in MiB (VmHWM, sampled). */
  readonly peakRssMiB: number;
  /** User + system CPU seconds of the child. */
  readonly cpuSeconds: number;
  readonly stderr: string;
}

/** Runs `node <script> <args>` and samples its peak RSS and CPU time from /proc until it exits. */
export async function measureNode(script: string, args: readonly string[]): Promise<MeasuredRun> {
  const started = performance.now();
  const startedAtMs = Date.now();
  // llmap runs as a user runs it: through its own shebang (which sets its heap limit), not as `node main.js`.
  const child =
    script === CLI
      ? spawn(script, [...args], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let peak = 0;
  let cpu = 0;
  const sample = () => {
    const status = readProc(child, 'status');
    const hwm = status && /VmHWM:\s+(\d+) kB/.exec(status);
    if (hwm) peak = Math.max(peak, Number(hwm[1]) / 1024);
    const stat = readProc(child, 'stat');
    if (stat) {
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
    }
  };
  const timer = setInterval(sample, 25);
  const [code] = (await once(child, 'close')) as [number | null];
  clearInterval(timer);
  return {
    code,
    seconds: (performance.now() - started) / 1000,
    startedAtMs,
    peakRssMiB: peak,
    cpuSeconds: cpu,
    stderr,
  };
}

function readProc(child: ChildProcess, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${child.pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** A reviews CSV of `rows` rows under bench/results, generated once and reused. */
export async function reviewsTable(rows: number): Promise<string> {
  const path = resolve(import.meta.dirname, `../../bench/results/reviews-${rows}.csv`);
  if (!existsSync(path)) {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(resolve(path, '..'), { recursive: true });
    await writeReviewsCsv(path, rows);
  }
  return path;
}

/** A support-tickets CSV of `rows` rows (the README's examples, each body numbered) under bench/results. */
export async function ticketsTable(rows: number): Promise<string> {
  const path = resolve(import.meta.dirname, `../../bench/results/tickets-${rows}.csv`);
  if (!existsSync(path)) {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(resolve(path, '..'), { recursive: true });
    await writeTicketsCsv(path, rows);
  }
  return path;
}
