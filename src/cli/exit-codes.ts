// Exit codes, documented in the README and in each command's --help: scripts and CI branch on them.

export const EXIT = {
  /** Every row ended `ok`. */
  ok: 0,
  /** The run finished, but some rows are `failed` or `invalid`. */
  rowsNotOk: 1,
  /** Usage, configuration or input error: nothing was sent. */
  usage: 2,
  /** The provider refused the run itself (bad key, unknown model, the same refusal on the first rows) or was down
   * longer than --max-outage: stopped early; rows not answered are left for the next run. */
  providerStopped: 3,
  /** The --budget was reached: dispatch stopped, what was done is written; run again with a larger budget. */
  budgetReached: 4,
  /** --detach: batches are submitted and not yet collected; run the same command again to collect them. */
  batchesPending: 5,
  /** llmap eval / compare: a --gate failed (the table says which); the scores were computed and written. */
  gatesFailed: 6,
  /** The output file could not be written (a full disk, say); every answer is in the run state, and the same
   * command again writes it without asking anything. */
  outputNotWritten: 7,
  /** --fail-on-drift: an answer column's distribution moved more than --drift-sigma standard errors from the
   * baseline run; the output and the report (which says what moved) are written. */
  driftDetected: 8,
  /** llmap itself failed unexpectedly (a bug): please report it. */
  internal: 70,
  /** Interrupted (Ctrl-C): what was done is written to the partial file. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What each code means to a user of `llmap run`; other commands say what theirs mean where it differs. */
const MEANING: Record<ExitCode, string> = {
  0: 'every row ok',
  1: 'the run finished, but some rows are failed or invalid',
  2: 'usage, configuration or input error (nothing was sent)',
  3: 'the provider refused the run (bad key, unknown model, the same refusal on the first rows) or was down longer than --max-outage: stopped; what was done is written to <out>.partial.<ext>, rows not answered are left for the next run',
  4: 'the --budget was reached: what was done is written to <out>.partial.<ext>; run again with a larger budget',
  5: '--detach: batches submitted (or a --cluster job queued); run the same command again to collect them',
  6: 'a --gate failed (the scores were computed and written)',
  7: 'the output could not be written (every answer is kept): fix the cause and run the same command again',
  8: '--fail-on-drift: an answer distribution moved more than --drift-sigma standard errors from the baseline run (the output and <out>.report.html, which says what moved, are written)',
  70: 'internal error (a bug in llmap): please report it',
  130: 'interrupted (Ctrl-C): what was done is written to <out>.partial.<ext>',
};

/** The "Exit codes:" block of a command's --help: every code it can return, one per line. */
export function exitCodesHelp(codes: readonly (ExitCode | readonly [ExitCode, string])[]): string {
  const lines = codes.map((entry) => {
    const [code, meaning] = typeof entry === 'number' ? [entry, MEANING[entry]] : entry;
    return `  ${String(code).padEnd(4)} ${meaning}`;
  });
  return `Exit codes:\n${lines.join('\n')}\n`;
}
