// A server process (`qspool serve`, a real child process) SIGKILLed between state changes and their delivery: once
// a server runs again on the same storage every mail still goes out, once. One change happens while the server is dead (the
// outbox keeps it), the other while it is up but the SMTP server refuses (the pending delivery keeps it).
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '../../config/index.ts';
import { pino } from 'pino';
import { startServer, type RunningServer } from '../../server/index.ts';
import { UserService } from '../../server/services/users.ts';
import { publishedConfig } from '../../spooler/backend.ts';
import { singlequdit } from '../../spooler/backends/singlequdit/index.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import { ns } from '../../storage/records.ts';
import { GOOD_JOB } from '../native-api/harness.ts';
import { eventually, startSmtp, type Smtp } from './support.ts';

const BIN = new URL('../../scripts/qspool.mjs', import.meta.url).pathname;

interface ServerProcess {
  url: string;
  child: ChildProcess;
  kill(): Promise<void>;
}

/** `qspool serve` in a child process; resolves once it logs the URL it listens on. */
function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not start within 30 s')), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg !== 'server listening' || !entry.url) return;
      clearTimeout(timer);
      resolve({
        url: entry.url,
        child,
        async kill() {
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`the server exited during start (${code})`)));
  });
}

describe('notifications across a server crash', function () {
  this.timeout(60_000);
  let dataDir: string;
  let storage: LocalProvider;
  let smtp: Smtp;
  let server: ServerProcess | undefined;
  let restarted: RunningServer | undefined;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'qspool-restart-'));
    storage = new LocalProvider({ root: dataDir, fsync: false });
    const defaults = loadConfig({});
    const limits = { maxInstructions: defaults.QSPOOL_MAX_INSTRUCTIONS, maxHilbertDimension: defaults.QSPOOL_MAX_HILBERT_DIMENSION };
    await storage.put(ns.configs, 'singlequdit', publishedConfig(singlequdit, limits));
    smtp = await startSmtp();
  });
  after(async () => {
    await server?.kill();
    await restarted?.close();
    await storage.close();
    await smtp.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('still delivers every mail, once, after the server is killed and restarted', async () => {
    const users = new UserService(storage, { scryptLogN: 10 });
    await users.createUser('nina', { email: 'nina@example.org' });
    const token = await users.issueToken('nina');
    const env = {
      QSPOOL_DATA_DIR: dataDir,
      PORT: '0',
      QSPOOL_FSYNC: 'false',
      QSPOOL_SMTP_URL: smtp.url,
      QSPOOL_NOTIFY_LEASE_MS: '1000',
      QSPOOL_NOTIFY_POLL_MS: '50',
      QSPOOL_NOTIFY_BACKOFF_MS: '100',
      QSPOOL_RATE_PER_SECOND: '0',
      LOG_LEVEL: 'info',
    };
    // The spooler's part, by hand: the test decides when each change happens.
    const lifecycle = new JobLifecycle(storage);
    const run = async () => lifecycle.complete((await lifecycle.claim('singlequdit', 'lab-spooler'))!, { success: true });
    server = await spawnServer(env);
    const submit = async () => {
      const answer = await fetch(`${server!.url}/api/v1/backends/singlequdit/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ payload: GOOD_JOB }),
      });
      expect(answer.status).to.equal(201);
      return ((await answer.json()) as { id: string }).id;
    };

    smtp.refusing = true;
    const whileUp = await submit();
    await run();
    await eventually(async () => (smtp.refused >= 1 ? true : undefined));
    const whileDown = await submit();
    await server.kill();
    await run();
    smtp.refusing = false;
    expect(smtp.mails).to.have.length(0);

    // The new server: in this process (a child would only add start-up time), on the same storage directory.
    restarted = await startServer(new LocalProvider({ root: dataDir, fsync: false }), loadConfig(env), pino({ level: 'silent' }));
    const subjects = (id: string) => `[qspool] job ${id} DONE on singlequdit`;
    await eventually(async () => (smtp.mails.length >= 2 ? true : undefined), 20_000);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(smtp.mails.map((mail) => mail.subject).sort()).to.deep.equal([subjects(whileUp), subjects(whileDown)].sort());
  });
});
