// `llmap power`: how many rows a paired comparison needs to detect a given difference at a given power (or, with
// --rows, the power of a comparison of that many rows). Binary scores: McNemar's test, sized from the difference
// and the share of rows on which the two runs disagree. Continuous: the paired t-test, from the difference and the
// standard deviation of the per-row differences.

import { Command } from 'commander';
import { InputError } from '../job/input-error.js';
import {
  pairedBinaryPower,
  pairedBinarySampleSize,
  pairedContinuousPower,
  pairedContinuousSampleSize,
} from '../eval/stats/power.js';
import { formatCount } from '../observe/progress.js';
import { exitCodesHelp } from './exit-codes.js';
import { numberFlag } from './flag-values.js';
import type { CliIo } from './run-command.js';

const EXAMPLES = `
Examples:
  # Accuracy: detect a 2-point change when the two prompts disagree on 10% of rows (80% power, 5% level)
  llmap power binary --diff 0.02 --discordant 0.10

  # A continuous score (F1): detect +0.03 when per-row differences have a standard deviation of 0.25
  llmap power continuous --diff 0.03 --sd 0.25 --power 0.9

  # The power of a comparison over 5,000 rows
  llmap power binary --diff 0.02 --discordant 0.10 --rows 5000

The discordant share and the sd can be read off a pilot: llmap compare prints the rows only A or only B got right,
and --scores writes the per-row scores.

${exitCodesHelp([[0, 'the rows needed (or the power) are printed'], 2, 70])}`;

export function powerCommand(io: CliIo): Command {
  return new Command('power')
    .description('rows needed to detect a difference between two runs (paired binary or continuous scores)')
    .argument('<kind>', 'binary (McNemar) or continuous (paired t)')
    .requiredOption('--diff <d>', 'the difference to detect (B − A, in the score’s units)')
    .option('--discordant <share>', 'binary: the share of rows on which the two runs disagree')
    .option('--sd <sd>', 'continuous: standard deviation of the per-row differences')
    .option('--alpha <level>', 'two-sided significance level', '0.05')
    .option('--power <p>', 'the power wanted', '0.8')
    .option('--rows <n>', 'instead: the power of a comparison of this many rows')
    .option('--json', 'print the result as JSON on stdout, instead of the sentence')
    .addHelpText('after', EXAMPLES)
    .action((kind: string, flags: Record<string, string | boolean | undefined>) => {
      const diff = Math.abs(numberFlag('--diff', flags['diff'], (x) => x !== 0, 'a non-zero number'));
      const alpha = numberFlag('--alpha', flags['alpha'], (x) => x > 0 && x < 1, 'between 0 and 1');
      const power = numberFlag('--power', flags['power'], (x) => x > alpha && x < 1, 'between --alpha and 1');
      const rows =
        flags['rows'] === undefined
          ? undefined
          : numberFlag('--rows', flags['rows'], (x) => Number.isInteger(x) && x >= 2, 'an integer of at least 2');
      let result: Record<string, number | string>;
      if (kind === 'binary') {
        const discordant = numberFlag('--discordant', flags['discordant'], (x) => x > 0 && x <= 1, 'a share in (0, 1]');
        if (diff >= discordant) {
          throw new InputError(
            `--diff ${diff} must be smaller than --discordant ${discordant}: a difference comes from rows on which the runs disagree`,
          );
        }
        const p10 = (discordant + diff) / 2;
        const p01 = (discordant - diff) / 2;
        result =
          rows === undefined
            ? {
                test: 'McNemar',
                diff,
                discordant,
                alpha,
                power,
                rows: pairedBinarySampleSize({ p10, p01, alpha, power }),
              }
            : { test: 'McNemar', diff, discordant, alpha, rows, power: pairedBinaryPower(rows, p10, p01, alpha) };
      } else if (kind === 'continuous') {
        const sd = numberFlag('--sd', flags['sd'], (x) => x > 0, 'a positive number');
        result =
          rows === undefined
            ? {
                test: 'paired t',
                diff,
                sd,
                alpha,
                power,
                rows: pairedContinuousSampleSize({ delta: diff, sd, alpha, power }),
              }
            : { test: 'paired t', diff, sd, alpha, rows, power: pairedContinuousPower(rows, diff, sd, alpha) };
      } else {
        throw new InputError(`llmap power: the kind is binary or continuous, got ${kind}`);
      }
      const given = Object.entries(result)
        .filter(([key]) => key !== (rows === undefined ? 'rows' : 'power') && key !== 'test')
        .map(([key, value]) => `${key} ${String(value)}`)
        .join(' · ');
      if (flags['json']) {
        io.stdout.write(JSON.stringify(result) + '\n');
        return;
      }
      io.stdout.write(
        rows === undefined
          ? `llmap power: ${formatCount(result['rows'] as number)} paired rows needed (${result['test']} · ${given})\n`
          : `llmap power: ${((result['power'] as number) * 100).toFixed(1)}% power with ${formatCount(rows)} paired rows (${result['test']} · ${given})\n`,
      );
    });
}
