// `llmap report <output | run directory | .report.json>`: the run report built again from the run's record and the
// output as it is now (the same page a run writes; its drift against the baseline the run had). No request is sent.

import { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../job/input-error.js';
import { rebuildRunReport } from '../observe/report/run-report.js';
import { reportPaths } from '../observe/report/run-record.js';
import { readRunStatus } from '../observe/run-status.js';
import { openDuckDB } from '../table/duckdb.js';
import { partialPathFor } from '../table/publish-output.js';
import { EXIT, exitCodesHelp } from './exit-codes.js';
import type { CliIo } from './run-command.js';

const EXAMPLES = `
Examples:
  # The report of out/tickets.parquet again (after editing it, or with another --drift-sigma)
  llmap report out/tickets.parquet

  # From the run directory of a job
  llmap report out/.llmap/tickets.parquet --drift-sigma 3

${exitCodesHelp([0, 2, [8, '--fail-on-drift: the report flags drift against its baseline'], 70])}`;

export function reportCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('report')
    .description('write the HTML run report of an output again (<out>.report.html and <out>.sample.parquet)')
    .argument('<target>', 'the output file, its run directory, or its .report.json')
    .option('--drift-sigma <n>', 'flag a share or mean that moved more than n standard errors from the baseline', '2')
    .option('--fail-on-drift', 'exit 8 when drift is flagged')
    .option('--json', 'print where the report went and what drifted as JSON')
    .addHelpText('after', EXAMPLES)
    .action(async (target: string, flags: { driftSigma: string; failOnDrift?: boolean; json?: boolean }) => {
      const sigma = Number(flags.driftSigma);
      if (!(sigma > 0))
        throw new InputError(`Expected \`--drift-sigma\` to be a positive number, got ${flags.driftSigma}`);
      const record = await recordPathOf(target);
      const db = await openDuckDB();
      try {
        const report = await rebuildRunReport(db, record, sigma);
        const flagged = report.drift?.flagged ?? [];
        if (flags.json) {
          io.stdout.write(
            JSON.stringify({ html: report.html, sample: report.sample, drift: report.drift ?? null }) + '\n',
          );
        } else {
          io.stdout.write(`llmap: report: ${report.html}\n  sample: ${report.sample}\n`);
          if (report.drift) {
            io.stdout.write(
              flagged.length === 0
                ? `  no drift: ${report.drift.statistics.length} statistics within ${sigma}σ of ${report.baseline}\n`
                : `  drift: ${flagged.map((s) => s.name).join(', ')} (more than ${sigma}σ from ${report.baseline})\n`,
            );
          }
        }
        setExitCode(flags.failOnDrift && flagged.length > 0 ? EXIT.driftDetected : EXIT.ok);
      } finally {
        db.close();
      }
    });
}

/** The record of a run: given, beside the output (or its partial file), or found through the run directory. */
async function recordPathOf(target: string): Promise<string> {
  const path = resolve(target);
  if (!existsSync(path)) throw new InputError(`${target}: no such file or directory`);
  if (path.endsWith('.report.json')) return path;
  let output = path;
  if (statSync(path).isDirectory()) {
    const status = await readRunStatus(path);
    if (!status.meta) throw new InputError(`${target}: no run has written here yet`);
    output = status.meta.output;
  }
  for (const candidate of [output, partialPathFor(output)]) {
    const { json } = reportPaths(candidate);
    if (existsSync(json)) return json;
  }
  throw new InputError(
    `${target}: no run report (${reportPaths(output).json}); a run writes one unless --no-report was given`,
  );
}
