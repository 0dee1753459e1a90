#!/usr/bin/env -S node --max-old-space-size=160 --max-semi-space-size=32
// The `llmap` command: wires subcommands and maps errors to exit codes. Everything else lives in the library.

import { Command, CommanderError, Help, type Argument, type Option } from 'commander';
import { InputError } from '../job/input-error.js';
import { ApiCallError } from '../providers/errors/api-call-error.js';
import { embedCommand } from './embed-command.js';
import { compareCommand, evalCommand, ModelRunStopped } from './eval-command.js';
import { powerCommand } from './power-command.js';
import { EXIT, exitCodesHelp } from './exit-codes.js';
import { runCommand, type CliIo } from './run-command.js';
import { estimateCommand } from './estimate-command.js';
import { simCommand } from './sim-command.js';
import { sqlCommand } from './sql-command.js';
import { reportCommand } from './report-command.js';
import { statusCommand } from './status-command.js';
import { workerCommand } from './cluster-command.js';

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('llmap')
    .description('Map an LLM prompt over every row of a table; write the answers back as typed columns.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  program.addCommand(runCommand(io, (code) => (exitCode = code), argv));
  program.addCommand(embedCommand(io, (code) => (exitCode = code), argv));
  program.addCommand(sqlCommand(io, (code) => (exitCode = code), argv));
  program.addCommand(estimateCommand(io));
  program.addCommand(evalCommand(io, (code) => (exitCode = code)));
  program.addCommand(compareCommand(io, (code) => (exitCode = code)));
  program.addCommand(powerCommand(io));
  program.addCommand(statusCommand(io));
  program.addCommand(reportCommand(io, (code) => (exitCode = code)));
  program.addCommand(workerCommand(io));
  program.addCommand(simCommand(io));
  program.addHelpText(
    'after',
    `\n${exitCodesHelp([
      [0, 'done (run, embed: every row ok)'],
      [1, 'run, embed: the run finished, but some rows are failed or invalid'],
      2,
      3,
      4,
      [5, 'run --detach: batches submitted (or a --cluster job queued); run the same command again to collect them'],
      [6, 'eval, compare: a --gate failed (the scores were computed and written)'],
      [7, 'run, embed: the output could not be written (every answer is kept): run the same command again'],
      [8, 'run, report --fail-on-drift: an answer distribution drifted from the baseline run (all is written)'],
      70,
      130,
    ])}`,
  );
  for (const command of [program, ...program.commands]) {
    command.exitOverride();
    command.configureHelp({
      optionDescription: (option) => HELP.optionDescription(plainDefault(option)),
      argumentDescription: (argument) => HELP.argumentDescription(plainDefault(argument)),
    });
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof ModelRunStopped) return error.exitCode;
    if (InputError.isInstance(error)) {
      io.stderr.write(`llmap: error: ${error.message}\n`);
      return EXIT.usage;
    }
    // A call made outside a run (estimate's --sample-run) that the provider refused: its message, not a stack.
    if (ApiCallError.isInstance(error)) {
      io.stderr.write(`llmap: error: the provider refused the request: ${error.message}\n`);
      return EXIT.providerStopped;
    }
    io.stderr.write(
      `llmap: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.internal;
  }
}

const HELP = new Help();

/**
 * An option as its help shows it: a default as a person reads it, `(default: 256)` rather than commander's JSON
 * `(default: "256")`, and no default at all for a repeatable flag that starts empty (`(default: [])`).
 */
function plainDefault<T extends Option | Argument>(option: T): T {
  const value: unknown = option.defaultValue;
  if (Array.isArray(value) && value.length === 0) {
    return Object.create(option, { defaultValue: { value: undefined } }) as T;
  }
  if ((typeof value === 'string' || typeof value === 'number') && option.defaultValueDescription === undefined) {
    return Object.create(option, { defaultValueDescription: { value: String(value) } }) as T;
  }
  return option;
}

/**
 * A reader that closed its end of the pipe (`llmap run --help | head -1`) has what it wanted: the rest of the
 * output is dropped, and the command ends as it would have, rather than dying of EPIPE.
 */
function toleratePipeClosed(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

toleratePipeClosed(process.stdout);
toleratePipeClosed(process.stderr);
const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
process.exitCode = code;
