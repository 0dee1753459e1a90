#!/usr/bin/env -S node --max-old-space-size=160 --max-semi-space-size=32
// The `llmap` command: wires subcommands and maps errors to exit codes. Everything else lives in the library.

import { Command, CommanderError } from 'commander';
import { InputError } from '../job/input-error.js';
import { embedCommand } from './embed-command.js';
import { compareCommand, evalCommand, ModelRunStopped } from './eval-command.js';
import { powerCommand } from './power-command.js';
import { EXIT } from './exit-codes.js';
import { runCommand, type CliIo } from './run-command.js';
import { estimateCommand } from './estimate-command.js';
import { simCommand } from './sim-command.js';
import { statusCommand } from './status-command.js';

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
  program.addCommand(estimateCommand(io));
  program.addCommand(evalCommand(io, (code) => (exitCode = code)));
  program.addCommand(compareCommand(io, (code) => (exitCode = code)));
  program.addCommand(powerCommand(io));
  program.addCommand(statusCommand(io));
  program.addCommand(simCommand(io));
  for (const command of program.commands) command.exitOverride();

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
    io.stderr.write(
      `llmap: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.internal;
  }
}

const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
process.exitCode = code;
