// A synchronous logger keeps every line written before a SIGKILL; the spoolers' evidence depends on it. (The default,
// buffered logger kept 1 of 5 lines here.)
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const LOGGER = fileURLToPath(new URL('./logger.ts', import.meta.url));

function linesBeforeKill(): string[] {
  const code = `const { createLogger } = await import(${JSON.stringify(LOGGER)});
    const log = createLogger('info', 'probe', { sync: true });
    for (let i = 0; i < 5; i += 1) log.info({ i }, 'line');
    process.kill(process.pid, 'SIGKILL');`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
  expect(child.signal).to.equal('SIGKILL');
  return child.stdout.split('\n').filter(Boolean);
}

describe('createLogger', () => {
  it('with sync, has written every line when the process is SIGKILLed right after logging it', () => {
    const lines = linesBeforeKill().map((line) => JSON.parse(line) as { i: number; name: string; msg: string });
    expect(lines.map((line) => line.i)).to.deep.equal([0, 1, 2, 3, 4]);
    expect(lines.every((line) => line.name === 'probe' && line.msg === 'line')).to.equal(true);
  });

  // /dev/full answers every write ENOSPC, as a log file on a full disk does. The spooler's synchronous logger threw it
  // at the logging call; the server's buffered one stopped the process and hung in pino's exit flush.
  it('goes on when its lines cannot be written (a full disk), synchronous or not', function () {
    if (!existsSync('/dev/full')) this.skip();
    for (const sync of [true, false]) {
      const code = `const { createLogger } = await import(${JSON.stringify(LOGGER)});
        const log = createLogger('info', 'probe', { sync: ${sync} });
        for (let i = 0; i < 5; i += 1) log.info({ i }, 'line');
        setTimeout(() => { log.info('still logging'); process.stderr.write('alive'); }, 300);`;
      const full = openSync('/dev/full', 'w');
      try {
        const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8', timeout: 20_000 });
        expect({ status: child.status, stderr: child.stderr }, `sync: ${sync}`).to.deep.equal({ status: 0, stderr: 'alive' });
      } finally {
        closeSync(full);
      }
    }
  });
});
