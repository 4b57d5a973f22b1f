// The files of deploy/ as an operator copies them: every variable of the env example is one the configuration
// knows and accepts, and the systemd units start commands and options the CLI has, from paths the repository holds.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../config/index.ts';
import { STOP_DEADLINE_MS } from '../scripts/cluster.ts';

const root = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** KEY=VALUE lines of an environment file (systemd's EnvironmentFile), comments and blank lines left out. */
function envFile(text: string): Record<string, string> {
  const lines = text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
  return Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

describe('deploy/', () => {
  it('qspool.env.example: every variable is a known setting with a valid value, as loadConfig reads it', () => {
    const example = envFile(read('deploy/qspool.env.example'));
    const config = loadConfig({ ...example, QSPOOL_SECRET_KEY: 'x'.repeat(16) }) as Record<string, unknown>;
    for (const key of Object.keys(example)) expect(config, `${key} is not a setting qspool reads through its configuration`).to.have.property(key);
  });

  it('QSPOOL_TRUST_PROXY counts proxies, true and false still meaning one and none, and anything else is refused by name', () => {
    const hops = (value?: string) => loadConfig(value === undefined ? {} : { QSPOOL_TRUST_PROXY: value }).QSPOOL_TRUST_PROXY;
    expect([hops(), hops('false'), hops('0'), hops('true'), hops('1'), hops('2'), hops('10')]).to.deep.equal([0, 0, 0, 1, 1, 2, 10]);
    const accepted = 'QSPOOL_TRUST_PROXY must be true, false, or how many proxies stand in front of the server: an integer from 0 to 10';
    for (const value of ['yes', '1.5', 'TRUE']) expect(() => hops(value)).to.throw(ConfigError, `${accepted} in decimal digits, not "${value}"`);
    for (const value of ['11', '-1']) expect(() => hops(value)).to.throw(ConfigError, `${accepted}, not ${value}`);
  });

  it('the systemd units run qspool commands and options that exist, from a script the repository ships', () => {
    const cli = read('scripts/cli.ts');
    for (const unit of ['deploy/qspool-server@.service', 'deploy/qspool-spooler@.service', 'deploy/qspool-backup.service']) {
      const execStart = read(unit).split('\n').find((line) => line.startsWith('ExecStart='))!;
      const [node, script, command, ...args] = execStart.slice('ExecStart='.length).split(' ');
      expect(node, unit).to.equal('/usr/bin/node');
      expect(script!.startsWith('/opt/qspool/'), unit).to.equal(true);
      expect(existsSync(join(root, script!.slice('/opt/qspool/'.length))), `${unit}: ${script}`).to.equal(true);
      expect(cli, `${unit}: command ${command}`).to.include(`.command('${command}')`);
      // A command's subcommand (`storage backup <file>`) is declared with its arguments.
      if (command === 'storage') expect(cli, `${unit}: storage ${args[0]}`).to.match(new RegExp(`\\.command\\('${args[0]}[ ']`));
      for (const option of args.filter((arg) => arg.startsWith('--'))) expect(cli, `${unit}: ${option}`).to.match(new RegExp(`[oO]ption\\('${option}[ ']`));
    }
  });

  it('the units send SIGTERM to the main process only, and give it longer than its own shutdown takes', () => {
    const setting = (unit: string, name: string) => read(unit).split('\n').find((line) => line.startsWith(`${name}=`))?.slice(name.length + 1);
    for (const unit of ['deploy/qspool-server@.service', 'deploy/qspool-spooler@.service']) {
      // An external runtime, or a worker of `serve --workers`, is stopped by its own process, at the right time.
      expect(setting(unit, 'KillMode'), unit).to.equal('mixed');
    }
    // `serve --workers N`: the primary kills workers left at its deadline, then exits, before systemd's SIGKILL.
    expect(Number(setting('deploy/qspool-server@.service', 'TimeoutStopSec')) * 1000).to.be.at.least(STOP_DEADLINE_MS + 5000);
    // A spooler: the default grace period, the runtime's SIGTERM-to-SIGKILL 2 s, and the hand-back.
    const grace = loadConfig({}).QSPOOL_SHUTDOWN_GRACE_S;
    expect(Number(setting('deploy/qspool-spooler@.service', 'TimeoutStopSec'))).to.be.at.least(grace + 5);
  });
});
