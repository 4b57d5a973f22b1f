// The table's header: the machine (cores, memory, CPU model, load) and the versions of everything compared.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

function versionIn(url: URL): string {
  try {
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

const packageVersion = (name: string) => versionIn(new URL(`../node_modules/${name}/package.json`, import.meta.url));

function redisVersion(): string {
  try {
    return /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

export function machineHeader(settings: string): string[] {
  const cores = cpus();
  const qspool = versionIn(new URL('../package.json', import.meta.url));
  return [
    `qspool bench — ${new Date().toISOString()}`,
    `machine: ${cores.length} cores (${cores[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, ` +
      `load average at start ${loadavg().map((load) => load.toFixed(2)).join(' ')}`,
    `versions: node ${process.version}, qspool ${qspool}, redis ${redisVersion()}, bullmq ${packageVersion('bullmq')}, ` +
      `koa ${packageVersion('koa')}, @koa/router ${packageVersion('@koa/router')}, autocannon ${packageVersion('autocannon')}`,
    `settings: ${settings}`,
  ];
}
