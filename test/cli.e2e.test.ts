// The CLI as a new user meets it: every example of every --help runs as written, help reads cleanly and survives a
// closed pipe, reports go to stdout, the official SDKs' base URL variables are honoured, and an estimate needs no key.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSim, type SimServer } from '../src/sim/index.js';
import { CLI, exampleRoot, readRows, runCli, tempDir } from './helpers.js';

const COMMANDS = ['run', 'embed', 'estimate', 'sql', 'eval', 'compare', 'power', 'status', 'report', 'sim', 'worker'];

/** The commands of a help text's examples, continuation lines joined, in order. */
function examplesOf(help: string): string[] {
  const lines = help.slice(help.indexOf('\nExamples')).split('\n');
  const commands: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (!/^(\w+=\S+ )*llmap /.test(line)) continue;
    while (line.endsWith('\\')) line = `${line.slice(0, -1).trimEnd()} ${lines[++i]!.trim()}`;
    commands.push(line);
  }
  return commands;
}

function sh(command: string, cwd: string, env: Record<string, string>) {
  const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = once(child, 'close').then(([code]) => ({ code: code as number | null, stdout, stderr }));
  return { child, done, output: () => stdout };
}

describe('every example of every --help runs as written, from the repository root', () => {
  // The repository root as a user has it (examples/ in it), in a directory of its own so that out/ is the test's;
  // `llmap` on the PATH; the simulators the examples start on 8787 and 8788 on free ports instead.
  const { root, bin } = exampleRoot('examples');
  let sims: SimServer[] = [];
  let env: Record<string, string> = {};
  const ports = (command: string) =>
    command.replaceAll(':8787', `:${sims[0]!.port}`).replaceAll(':8788', `:${sims[1]!.port}`);
  before(async () => {
    sims = [await startSim({ port: 0 }), await startSim({ port: 0 })];
    env = {
      PATH: `${bin}:${process.env['PATH'] ?? ''}`,
      LLMAP_CACHE_DIR: join(root, 'cache'),
      OPENAI_BASE_URL: `${sims[0]!.url}/v1`,
      ANTHROPIC_BASE_URL: sims[0]!.url,
    };
  });
  after(async () => {
    for (const sim of sims) await sim.close();
  });

  // In the order a reader would try them: the runs that later examples read come first.
  for (const name of ['run', 'report', 'estimate', 'embed', 'sql', 'eval', 'compare', 'status', 'power']) {
    test(`llmap ${name} --help`, async () => {
      const help = (await runCli([name, '--help'])).stdout;
      const commands = examplesOf(help).filter((command) => !command.endsWith('&'));
      assert.ok(commands.length >= 2, help);
      for (const command of commands) {
        const result = await sh(ports(command), root, env).done;
        // A gate example shows a gate failing or passing: both are its documented outcomes.
        const expected = command.includes('--gate') ? [0, 6] : [0];
        assert.ok(expected.includes(result.code!), `${command}\nexit ${result.code}\n${result.stderr}`);
        assert.doesNotMatch(result.stderr, /error/i, command);
        const subcommand = /\bllmap (\w+)/.exec(command)![1]!;
        if (['run', 'report', 'embed', 'estimate', 'eval', 'compare', 'power', 'status'].includes(subcommand)) {
          // A report goes to stdout; stderr keeps progress and logs.
          assert.notEqual(result.stdout.trim(), '', `${command}: the report is on stdout`);
          assert.doesNotMatch(result.stderr, /^llmap (eval|compare|power|estimate):/m, command);
          // `run`'s summary is its report (eval's judge run logs its own summary on stderr, as progress).
          if (subcommand === 'run' || subcommand === 'embed') {
            assert.doesNotMatch(result.stderr, /^ {2}ok [\d,]+ · /m, command);
          }
        }
      }
    });
  }

  test('the outputs the examples name are written', async () => {
    assert.equal((await readRows(join(root, 'out/tickets.parquet'))).length, 300);
    const labelled = await readRows(join(root, 'out/labelled.parquet'));
    assert.equal(labelled.length, 300);
    assert.ok(labelled.every((row) => typeof row['true_category'] === 'string' && row['_status'] === 'ok'));
  });

  test('llmap sim --help', async () => {
    const commands = examplesOf((await runCli(['sim', '--help'])).stdout);
    assert.equal(commands.length, 4);
    for (const command of commands) {
      // On a free port rather than 8787, so that a simulator a person is running is left alone.
      const free = /--port \d+/.test(command) ? command.replace(/--port \d+/, '--port 0') : `${command} --port 0`;
      const sim = sh(`exec ${free}`, root, env);
      while (!/listening on/.test(sim.output())) await new Promise((r) => setTimeout(r, 50));
      sim.child.kill('SIGINT');
      const result = await sim.done;
      assert.equal(result.code, 0, `${command}\nexit ${result.code}\n${result.stdout}\n${result.stderr}`);
    }
  });
});

describe('help', () => {
  test('survives a reader that closes the pipe (llmap run --help | head -1)', async () => {
    const child = spawn(process.execPath, [CLI, 'run', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // closed before llmap writes: every write it makes meets EPIPE
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  test('defaults read as values, and every command lists the exit codes it can return', async () => {
    for (const name of COMMANDS) {
      const help = (await runCli([name, '--help'])).stdout;
      assert.doesNotMatch(help, /\(default: "/, `${name}: a default printed as a JSON string`);
      assert.doesNotMatch(help, /\(default: \[\]\)/, `${name}: an empty list printed as a default`);
      assert.match(help, /^Exit codes:\n {2}0 {4}\S/m, name);
      assert.match(help, /^ {2}2 {4}\S/m, name);
      assert.match(help, /^ {2}70 {3}internal error/m, name);
    }
    const run = (await runCli(['run', '--help'])).stdout;
    assert.match(run, /--max-concurrency <n> +the ceiling of auto concurrency \(default: 256\)/);
    assert.match(run, /--concurrency <n\|auto> +.*\(default: auto\)/);
    for (const code of [0, 1, 2, 3, 4, 5, 70, 130]) assert.match(run, new RegExp(`^ {2}${code} +\\S`, 'm'));
    const evalHelp = (await runCli(['eval', '--help'])).stdout;
    for (const code of [0, 2, 3, 4, 6, 70, 130]) assert.match(evalHelp, new RegExp(`^ {2}${code} +\\S`, 'm'));
  });
});

describe('endpoints and keys from the environment', () => {
  const dir = tempDir('env');
  const input = join(dir, 'in.csv');
  writeFileSync(input, 'id,text\n' + Array.from({ length: 50 }, (_, i) => `${i},ticket ${i} — ça coince`).join('\n'));
  let sim: SimServer;
  let other: SimServer;
  before(async () => {
    sim = await startSim({ port: 0 });
    other = await startSim({ port: 0 });
  });
  after(async () => {
    await sim.close();
    await other.close();
  });
  const job = (out: string, ...extra: string[]) => [
    'run',
    input,
    '-p',
    'Label: {{text}}',
    '-o',
    join(dir, out),
    ...extra,
  ];

  test('OPENAI_BASE_URL sends the requests there, with no key, and keys them as --base-url does', async () => {
    const cache = join(dir, 'cache');
    sim.resetStats();
    const fromEnv = await runCli(job('env.jsonl', '-m', 'openai:gpt-4o-mini'), {
      OPENAI_BASE_URL: `${sim.url}/v1`,
      LLMAP_CACHE_DIR: cache,
    });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.equal(sim.stats().requests, 50);
    // The same endpoint given as a flag: the same request keys, so the cache answers every row.
    const fromFlag = await runCli(job('flag.jsonl', '-m', 'openai:gpt-4o-mini', '--base-url', `${sim.url}/v1`), {
      LLMAP_CACHE_DIR: cache,
    });
    assert.equal(fromFlag.code, 0, fromFlag.stderr);
    assert.equal(sim.stats().requests, 50, 'nothing asked again');
    const [a, b] = [await readRows(join(dir, 'env.jsonl')), await readRows(join(dir, 'flag.jsonl'))];
    assert.deepEqual(
      b.map((row) => [row['_request_key'], row['_cached']]),
      a.map((row) => [row['_request_key'], true]),
    );
  });

  test('--base-url wins over OPENAI_BASE_URL', async () => {
    sim.resetStats();
    other.resetStats();
    const result = await runCli(job('wins.jsonl', '-m', 'openai:gpt-4o-mini', '--base-url', `${other.url}/v1`), {
      OPENAI_BASE_URL: `${sim.url}/v1`,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual([sim.stats().requests, other.stats().requests], [0, 50]);
  });

  test('ANTHROPIC_BASE_URL sends an anthropic: job there, with no key', async () => {
    sim.resetStats();
    const result = await runCli(job('anthropic.jsonl', '-m', 'anthropic:claude-haiku-4-5'), {
      ANTHROPIC_BASE_URL: sim.url,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(sim.stats().requests, 50);
    assert.ok((await readRows(join(dir, 'anthropic.jsonl'))).every((row) => row['_model'] === 'claude-haiku-4-5'));
  });

  test('a base URL variable that is not a URL stops before anything is sent', async () => {
    const result = await runCli(job('bad.jsonl', '-m', 'openai:gpt-4o-mini'), { OPENAI_BASE_URL: 'localhost:8787' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /invalid OPENAI_BASE_URL localhost:8787: expected a URL/);
  });

  test('estimate sends nothing, so it needs no key; a --sample-run sends, so it does', async () => {
    const estimate = ['estimate', input, '-p', 'Label: {{text}}', '-m', 'openai:gpt-4o-mini', '--max-tokens', '20'];
    const result = await runCli(estimate, {});
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^llmap estimate: openai:gpt-4o-mini\n {2}rows: {14}50\n/);
    const sampled = await runCli([...estimate, '--sample-run', '2'], {});
    assert.equal(sampled.code, 2);
    assert.match(sampled.stderr, /missing API key: set OPENAI_API_KEY/);
  });
});
