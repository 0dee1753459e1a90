// The Debian packages the tests use, installed when missing (`npm test` sets up what it needs on a fresh Debian
// machine): redis-server, for the distributed engine's stores and its global rate limit. Uses apt-get as root, or
// through sudo without a password; otherwise says what to install and fails.
import { spawnSync } from 'node:child_process';

const NEEDED = [{ command: 'redis-server', debian: 'redis-server' }];

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

export function ensurePackages() {
  const missing = NEEDED.filter((item) => !has(item.command)).map((item) => item.debian);
  if (missing.length === 0) return;
  const root = process.getuid?.() === 0;
  const sudo = !root && has('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!has('apt-get') || (!root && !sudo)) {
    console.error(
      `the tests need ${missing.join(', ')}: install it (apt-get install ${missing.join(' ')}) and run again`,
    );
    process.exit(1);
  }
  console.error(`installing ${missing.join(', ')} with apt-get (needed by the tests)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => {
    const [command, ...rest] = sudo ? ['sudo', '-n', 'apt-get', ...args] : ['apt-get', ...args];
    const result = spawnSync(command, rest, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (result.status !== 0) {
      console.error(`apt-get ${args.join(' ')} failed (exit ${result.status})`);
      process.exit(1);
    }
  };
  run(['update', '-qq']);
  run(['install', '-y', '-qq', '--no-install-recommends', ...missing]);
}
