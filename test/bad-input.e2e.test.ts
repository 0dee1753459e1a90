// Bad input exits 2 with a message that names the problem, and nothing is sent.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSim, type SimServer } from '../src/sim/index.js';
import { runCli, tempDir } from './helpers.js';

describe('bad input is refused before any request', () => {
  const dir = tempDir('bad');
  const good = join(dir, 'good.csv');
  writeFileSync(good, 'id,text\n1,hello\n2,world\n');
  const schema = join(dir, 'schema.json');
  writeFileSync(
    schema,
    JSON.stringify({ type: 'object', properties: { label: { type: 'string' } }, required: ['label'] }),
  );
  let sim: SimServer;
  before(async () => (sim = await startSim({ port: 0 })));
  after(() => sim.close());

  // A prompt file beside the table, for the typos of its name below.
  writeFileSync(join(dir, 'triage.md'), 'Triage: {{text}}\n');

  const cases: {
    name: string;
    args: () => string[];
    env?: Record<string, string>;
    cwd?: string;
    message: RegExp;
  }[] = [
    {
      name: 'a prompt file named without its extension',
      args: () => ['run', good, '-p', 'triage'],
      cwd: dir,
      message: /--prompt triage: no such file \(did you mean triage\.md\?\)\. An inline prompt inserts/,
    },
    {
      name: 'a path to a prompt file, without its extension',
      args: () => ['run', good, '-p', join(dir, 'triage')],
      message: /--prompt .*triage: no such file \(did you mean .*triage\.md\?\)/,
    },
    {
      name: 'a prompt path that names no file',
      args: () => ['run', good, '-p', 'prompts/classify'],
      message: /--prompt prompts\/classify: no such file\. An inline prompt .* every row would get the same answer/,
    },
    {
      name: 'a prompt file with the wrong extension',
      args: () => ['run', good, '-p', join(dir, 'triage.txt')],
      message: /prompt file not found: .*triage\.txt \(did you mean .*triage\.md\?\)/,
    },
    {
      name: 'a missing input file',
      args: () => ['run', join(dir, 'nope.csv'), '-p', 'x {{text}}'],
      message: /input file not found: .*nope\.csv/,
    },
    {
      name: 'an empty input',
      args: () => (
        writeFileSync(join(dir, 'empty.csv'), 'id,text\n'),
        ['run', join(dir, 'empty.csv'), '-p', 'x {{text}}']
      ),
      message: /input .*empty\.csv has no rows/,
    },
    {
      name: 'a malformed CSV line',
      args: () => (
        writeFileSync(join(dir, 'broken.csv'), 'id,text\n1,ok\n2,ok\n3,too,many,fields\n4,ok\n'),
        ['run', join(dir, 'broken.csv'), '-p', 'x {{text}}']
      ),
      message: /cannot read input .*broken\.csv: .*Line: 4/,
    },
    {
      name: 'a placeholder naming no column',
      args: () => ['run', good, '-p', 'Classify {{body}}'],
      message: /--prompt uses \{\{body\}\}, but the input has no such column; columns are: id, text/,
    },
    {
      name: 'an invalid JSON Schema',
      args: () => (
        writeFileSync(join(dir, 'bad.schema.json'), '{"type":"object","properties":{"a":{"type":"strng"}}}'),
        ['run', good, '-p', 'x {{text}}', '-s', join(dir, 'bad.schema.json')]
      ),
      message: /invalid JSON Schema in .*bad\.schema\.json/,
    },
    {
      name: 'an unknown provider prefix',
      args: () => ['run', good, '-p', 'x {{text}}', '-m', 'gemini:pro'],
      message: /unknown provider prefix "gemini:"/,
    },
    {
      name: 'a missing API key',
      args: () => [
        'run',
        good,
        '-p',
        'x {{text}}',
        '-m',
        'anthropic:claude-sonnet-4-5',
        '--api-key-env',
        'NO_SUCH_KEY',
        '--base-url',
        sim.url,
      ],
      message: /missing API key: set NO_SUCH_KEY/,
    },
    {
      name: 'a missing API key for the hosted API',
      args: () => ['run', good, '-p', 'x {{text}}', '-m', 'openai:gpt-4o-mini'],
      env: {},
      message: /missing API key: set OPENAI_API_KEY/,
    },
    {
      name: 'a bad number',
      args: () => ['run', good, '-p', 'x {{text}}', '--concurrency', 'lots'],
      message: /Expected `--concurrency` to be auto or a positive integer, got lots/,
    },
    {
      name: 'an answer column that would overwrite an input column',
      args: () => ['run', good, '-p', 'x {{text}}', '-s', '{"type":"object","properties":{"text":{"type":"string"}}}'],
      message: /output column "text" would overwrite the input column/,
    },
    {
      name: 'an output file that is the input file',
      args: () => ['run', good, '-p', 'x {{text}}', '-o', good],
      message: /--out .* is the input file/,
    },
    {
      name: 'an unknown flag',
      args: () => ['run', good, '-p', 'x', '--concurency', '3'],
      message: /unknown option '--concurency'/,
    },
  ];

  for (const c of cases) {
    test(`${c.name}: exit 2, a message naming it, no request sent`, async () => {
      const before = sim.stats().requests;
      const args = c.args();
      const withModel = args.includes('-m') ? args : [...args, '-m', 'openai:m', '--base-url', `${sim.url}/v1`];
      const result = await runCli(withModel, c.env ?? { OPENAI_API_KEY: 'sk-test' }, c.cwd ? { cwd: c.cwd } : {});
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, c.message);
      assert.equal(sim.stats().requests, before);
    });
  }
});
