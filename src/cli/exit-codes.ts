// Exit codes, documented in the README: scripts and CI branch on them.

export const EXIT = {
  /** Every row ended `ok`. */
  ok: 0,
  /** The run finished, but some rows are `failed` or `invalid`. */
  rowsNotOk: 1,
  /** Usage, configuration or input error: nothing was sent. */
  usage: 2,
  /** The provider refused the run itself (bad key, unknown model): stopped early, what was done is written. */
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
  /** llmap itself failed unexpectedly (a bug): please report it. */
  internal: 70,
  /** Interrupted (Ctrl-C): what was done is written. */
  interrupted: 130,
} as const;
