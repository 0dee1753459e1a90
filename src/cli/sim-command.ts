// `llmap sim`: the provider simulator as a server, until Ctrl-C.

import { Command, InvalidArgumentError } from 'commander';
import type { SimOptions } from '../sim/index.js';
import { exitCodesHelp } from './exit-codes.js';
import { InputError } from '../job/input-error.js';
import type { CliIo } from './run-command.js';

const EXAMPLES = `
Examples:
  llmap sim --port 8787
  llmap sim --port 8787 --latency-ms 300 --jitter-ms 100 --rpm 6000 --tpm 2000000
  llmap sim --port 8787 --rpm 600 --outage 30:60 --outage 300:20:503
  llmap sim --error-rate 0.05 --malformed-rate 0.02 --timeout-rate 0.01

Point llmap at it with --base-url http://127.0.0.1:8787/v1 (openai:) or --base-url http://127.0.0.1:8787 (anthropic:),
or with OPENAI_BASE_URL / ANTHROPIC_BASE_URL set to the same. GET /stats counts requests per distinct prompt, to catch
a paid call made twice.

${exitCodesHelp([[0, 'stopped with Ctrl-C'], [2, 'a bad flag, or the port is in use'], 70])}`;

export function simCommand(io: CliIo): Command {
  return new Command('sim')
    .description('serve a simulated OpenAI / Anthropic API on 127.0.0.1 (deterministic answers, limits, faults)')
    .option('--port <n>', 'port (0 picks a free one)', '8787')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--latency-ms <ms>', 'delay before each answer', '0')
    .option('--jitter-ms <ms>', 'uniform ± jitter on the delay', '0')
    .option('--rpm <n>', 'requests per minute before 429')
    .option('--tpm <n>', 'tokens per minute before 429 (Anthropic: input tokens)')
    .option('--otpm <n>', 'Anthropic: output tokens per minute before 429')
    .option(
      '--rate-limit <model>',
      'documented: per minute, replenished continuously, enforced over --enforce-s, refusals count (the providers’ ' +
        'documented behaviour); fixed-window: a budget per --window-s window',
    )
    .option('--enforce-s <s>', 'documented model: the interval a per-minute limit is enforced over (default 1)')
    .option('--window-s <s>', 'fixed-window model: the window in seconds (implies --rate-limit fixed-window)')
    .option(
      '--outage <at:for[:kind]>',
      'from AT s after the first request, down for FOR s: refuse connections (default) or answer 503; repeatable',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--context-tokens <n>', 'the model’s context: longer prompt + max_tokens get 400, as vLLM answers')
    .option('--error-rate <p>', 'fraction of requests answered 5xx', '0')
    .option('--timeout-rate <p>', 'fraction of requests never answered', '0')
    .option('--malformed-rate <p>', 'fraction of answers with broken JSON', '0')
    .option('--truncate-rate <p>', 'fraction of responses cut off mid-body', '0')
    .option('--seed <n>', 'seed for fault injection', '1')
    .option('--api-key-env <name>', 'require the key held in this environment variable')
    .option('--batch-delay-ms <ms>', 'time from a batch’s creation to its end', '1000')
    .option('--batch-item-error-rate <p>', 'fraction of batch items that fail (error file)', '0')
    .option('--batch-expire-rate <p>', 'fraction of batches that expire with 70% of their items done', '0')
    .option('--batch-max-requests <n>', 'requests per batch input file', '50000')
    .option('--batch-max-file-bytes <n>', 'bytes per batch input file', '209715200')
    .option('--batch-download-bytes-per-s <n>', 'send batch results at this rate (default: unlimited)')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: Record<string, string | string[] | undefined>) => {
      const number = (name: string) => (flags[name] === undefined ? undefined : Number(flags[name]));
      const given = {
        port: number('port'),
        host: flags['host'],
        latencyMs: number('latencyMs'),
        jitterMs: number('jitterMs'),
        rpm: number('rpm'),
        tpm: number('tpm'),
        otpm: number('otpm'),
        rateLimit: flags['rateLimit'],
        enforceS: number('enforceS'),
        windowS: number('windowS'),
        outages: flags['outage'] === undefined ? undefined : (flags['outage'] as string[]).map(parseOutage),
        contextTokens: number('contextTokens'),
        errorRate: number('errorRate'),
        timeoutRate: number('timeoutRate'),
        malformedRate: number('malformedRate'),
        truncateRate: number('truncateRate'),
        seed: number('seed'),
        batchDelayMs: number('batchDelayMs'),
        batchItemErrorRate: number('batchItemErrorRate'),
        batchExpireRate: number('batchExpireRate'),
        batchMaxRequests: number('batchMaxRequests'),
        batchMaxFileBytes: number('batchMaxFileBytes'),
        batchDownloadBytesPerS: number('batchDownloadBytesPerS'),
        apiKey: typeof flags['apiKeyEnv'] === 'string' ? io.env[flags['apiKeyEnv']] : undefined,
      };
      const options = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as SimOptions;
      // Loaded on use: the simulator's tokenizer tables would slow every other command's start.
      const { startSim } = await import('../sim/index.js');
      const sim = await startSim(options).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EADDRINUSE') throw error;
        throw new InputError(`--port ${options.port ?? 8787}: the port is in use (--port 0 picks a free one)`);
      });
      io.stdout.write(`llmap sim listening on ${sim.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await sim.close();
    });
}

/** `30:60` or `30:60:503`: an outage from 30 s after the first request, for 60 s. */
function parseOutage(text: string): { atS: number; forS: number; kind?: string } {
  const [at, duration, kind, ...rest] = text.split(':');
  if (at === undefined || duration === undefined || rest.length > 0) {
    throw new InvalidArgumentError(`--outage expects AT:FOR[:refuse|503] in seconds, got "${text}"`);
  }
  return { atS: Number(at), forS: Number(duration), ...(kind === undefined ? {} : { kind }) };
}
