// Test support: an S3 server for the provider's integration tests. S3_ENDPOINT (with S3_ACCESS_KEY_ID,
// S3_SECRET_ACCESS_KEY, S3_REGION, optional S3_BUCKET) wins; otherwise, where the Debian packages are installed
// (scripts/services/install-debian-packages.sh), a throwaway single-node Ceph RGW is started with
// scripts/services/ceph-rgw.sh on free ports and its own state directory, so it never meets another test run's.
// With neither, it says why in one line.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { S3ProviderSpec } from './client.ts';

const run = promisify(execFile);

/** The login (`qspool storage add --type s3`, a QSPOOL_STORE_FILE) of a store under `prefix` on the server of `spec`. */
export function s3LoginOf(spec: S3ProviderSpec, prefix: string): Record<string, unknown> {
  return {
    region: spec.region,
    bucket: spec.bucket,
    prefix,
    access_key_id: spec.accessKeyId,
    secret_access_key: spec.secretAccessKey,
    ...(spec.endpoint ? { endpoint_url: spec.endpoint } : {}),
    ...(spec.keepAlive === undefined ? {} : { keep_alive: spec.keepAlive }),
  };
}
const SCRIPT = fileURLToPath(new URL('../../scripts/services/ceph-rgw.sh', import.meta.url));
const CEPH_COMMANDS = ['radosgw', 'radosgw-admin', 'ceph-mon', 'ceph-osd', 'monmaptool', 'ceph'];

export interface TestS3 {
  /** A spec without a prefix; each test adds its own. */
  spec: S3ProviderSpec;
  /** Where it runs; `started` servers are ours to pause and stop. */
  origin: 'S3_ENDPOINT' | 'started';
  /** The radosgw process of a server we started (to pause it with SIGSTOP), read from its pid file. */
  radosgwPid(): Promise<number | undefined>;
  /** Kills or restarts radosgw alone, keeping the stored objects (an outage); only for servers we started. */
  gateway(action: 'stop' | 'start'): Promise<void>;
  stop(): Promise<void>;
}

async function onPath(name: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      if (dir) {
        await access(join(dir, name), constants.X_OK);
        return true;
      }
    } catch {
      // not in this directory
    }
  }
  return false;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function fromEnvironment(endpoint: string): TestS3 {
  const env = process.env;
  return {
    spec: {
      type: 's3',
      endpoint,
      region: env.S3_REGION ?? 'us-east-1',
      bucket: env.S3_BUCKET ?? 'qspool-test',
      accessKeyId: env.S3_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? '',
      // An RGW without `tcp_nodelay=1` stalls kept-alive connections (client.ts); S3_KEEP_ALIVE=0 avoids that.
      ...(env.S3_KEEP_ALIVE === '0' ? { keepAlive: false } : {}),
    },
    origin: 'S3_ENDPOINT',
    radosgwPid: async () => undefined,
    gateway: () => Promise.reject(new Error('S3_ENDPOINT is not ours to stop')),
    stop: async () => undefined,
  };
}

async function startCeph(): Promise<TestS3> {
  const [rgwPort, monPort] = [await freePort(), await freePort()];
  const cephDir = join(tmpdir(), `qspool-s3-test-${process.pid}`);
  const env = { ...process.env, CEPH_DIR: cephDir, RGW_PORT: String(rgwPort), CEPH_MON_PORT: String(monPort), RGW_DEBUG: '0' };
  const script = (command: string) => run('bash', [SCRIPT, command], { env, timeout: 180_000 });
  try {
    await script('start');
  } catch (error) {
    await script('stop').catch(() => undefined);
    await rm(`${cephDir}.lock`, { force: true });
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`ceph-rgw.sh start failed: ${stderr.trim().split('\n').slice(-15).join('\n')}`, { cause: error });
  }
  const { stdout } = await script('env');
  const values = Object.fromEntries(stdout.trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2)));
  return {
    spec: {
      type: 's3',
      endpoint: values.S3_ENDPOINT!,
      region: values.S3_REGION!,
      bucket: 'qspool-test',
      accessKeyId: values.S3_ACCESS_KEY_ID!,
      secretAccessKey: values.S3_SECRET_ACCESS_KEY!,
    },
    origin: 'started',
    radosgwPid: async () => {
      const text = await readFile(join(cephDir, 'run', 'client.rgw.pid'), 'utf8').catch(() => '');
      const pid = Number(text.trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    },
    gateway: async (action) => void (await script(`gateway-${action}`)),
    stop: async () => {
      await script('stop');
      await rm(`${cephDir}.lock`, { force: true });
    },
  };
}

export async function findTestS3(): Promise<TestS3 | { skip: string }> {
  const endpoint = process.env.S3_ENDPOINT;
  if (endpoint) return fromEnvironment(endpoint);
  const missing: string[] = [];
  for (const command of CEPH_COMMANDS) if (!(await onPath(command))) missing.push(command);
  if (missing.length > 0) {
    return {
      skip:
        `S3 integration suite skipped: no S3_ENDPOINT, and Ceph RGW cannot be started here (${missing.join(', ')} ` +
        'not on PATH; scripts/services/install-debian-packages.sh installs them)',
    };
  }
  return startCeph();
}
