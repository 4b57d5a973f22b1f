// The Redis the BullMQ peers use: a throwaway redis-server started and stopped by scripts/services/redis.sh
// (Debian's package; no persistence, loopback only), in the bench's own directory. A machine without redis-server
// gets Debian's package first (apt-get, as root), so a fresh clone needs nothing but `npm install`.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { rssOf } from './children.ts';

const run = promisify(execFile);
const script = new URL('../scripts/services/redis.sh', import.meta.url).pathname;

export interface RedisService {
  url: string;
  version: string;
  rss(): number;
  stop(): Promise<void>;
  /** For an interrupted run, where nothing asynchronous gets to finish. */
  stopNow(): void;
}

async function onPath(command: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${command}`]).then(
    () => true,
    () => false,
  );
}

/** Installs Debian's redis-server when it is missing; says what to do where that is not possible. */
async function ensureInstalled(log: (message: string) => void): Promise<void> {
  if (await onPath('redis-server')) return;
  if (process.getuid?.() !== 0 || !(await onPath('apt-get'))) {
    throw new Error('redis-server is not installed: install Debian\'s redis-server package (apt-get install redis-server)');
  }
  log('redis-server is missing: installing Debian\'s package (apt-get install redis-server)');
  await run('apt-get', ['update', '-qq']);
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'redis-server'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

export async function startRedis(workDir: string, log: (message: string) => void): Promise<RedisService> {
  await ensureInstalled(log);
  const dir = join(workDir, 'redis');
  const env = { ...process.env, REDIS_DIR: dir, REDIS_PORT: process.env.REDIS_PORT ?? '6390' };
  await run(script, ['start'], { env });
  const { stdout } = await run(script, ['env'], { env });
  const url = /REDIS_URL=(\S+)/.exec(stdout)?.[1];
  if (!url) throw new Error(`redis.sh env printed no REDIS_URL: ${stdout}`);
  const version = /v=(\S+)/.exec((await run('redis-server', ['--version'])).stdout)?.[1] ?? 'unknown';
  return {
    url,
    version,
    rss: () => rssOf(Number(readFileSync(join(dir, 'redis.pid'), 'utf8').trim())),
    stop: async () => {
      await run(script, ['stop'], { env });
    },
    stopNow: () => execFileSync(script, ['stop'], { env, stdio: 'ignore' }),
  };
}
