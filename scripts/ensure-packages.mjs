// The Debian packages the tests use, installed when missing (`npm test` sets up what it needs on a fresh Debian
// machine): redis-server, for the distributed engine's stores and its global rate limit; postgresql, for the
// PostgreSQL stores (found by its /usr/lib/postgresql/<version>/bin/initdb, which Debian keeps off PATH); chromium,
// for the run report's browser tests. Uses apt-get
// as root, or through sudo without a password; otherwise says what to install and fails.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

const POSTGRES = '/usr/lib/postgresql';
const hasPostgres = () =>
  existsSync(POSTGRES) && readdirSync(POSTGRES).some((version) => existsSync(`${POSTGRES}/${version}/bin/initdb`));

const NEEDED = [
  { present: () => has('redis-server'), debian: 'redis-server' },
  { present: hasPostgres, debian: 'postgresql' },
  // The run report is opened in a real browser by its tests (playwright-core drives Debian's chromium).
  { present: () => existsSync('/usr/bin/chromium'), debian: 'chromium' },
  // Its recommended fonts: the report's text in the screenshots.
  { present: () => existsSync('/usr/share/fonts/truetype/liberation'), debian: 'fonts-liberation' },
  // The metrics tests push to a real Pushgateway.
  { present: () => existsSync('/usr/bin/prometheus-pushgateway'), debian: 'prometheus-pushgateway' },
];

export function ensurePackages() {
  const missing = NEEDED.filter((item) => !item.present()).map((item) => item.debian);
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
