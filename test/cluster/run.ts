// `npm run test:cluster`: 3 `qspool serve` replicas and 2 spoolers for each of 2 backends on one store (the local
// provider on one data directory, or with CLUSTER_PROVIDER=s3 the jobs on a registered S3 provider such as Ceph RGW,
// or with CLUSTER_PRIMARY=s3 every process on a data directory of its own, as on hosts of their own, with the S3
// store as their primary: users, tokens, rate buckets, notifications, the dispatcher's lease and the jobs), the
// users' clients spread over the replicas. Mid-load the replica dispatching notifications and a spooler are
// SIGKILLed and restarted. Then four checks, printed as mocha-style counts: every acknowledged job has one final
// state and one result (the crash harness's verifier); each job event reached each subscriber (mailbox, webhook)
// once; one credential's requests admitted across all replicas stayed within 20% of burst + R × time; each user's
// event stream on one replica carried every event of their jobs, submitted through any replica.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newTally } from '../crash/client.ts';
import { runningHolders } from '../crash/kills.ts';
import { Phase } from '../crash/phase.ts';
import { report } from '../crash/report.ts';
import { crashSettings } from '../crash/settings.ts';
import { openCrashStore } from '../crash/store.ts';
import { allArrived, deliveryProblems, judgeDeliveries, orderProblems, outboxEvents, streamProblems } from './checks.ts';
import { dispatchingReplica } from './leader.ts';
import { BACKENDS, submitLoad, type ClusterUser } from './load.ts';
import { probeRate } from './rate-probe.ts';
import { startReceivers } from './receivers.ts';
import { clusterSettings } from './settings.ts';
import { watchEvents } from './sse-watch.ts';

const settings = clusterSettings();
const crash = crashSettings({ ...process.env, CRASH_PROVIDER: settings.provider, CRASH_LEASE_MS: String(settings.leaseMs) });
const started = Date.now();
const runDir = await mkdtemp(join(tmpdir(), 'qspool-cluster-'));
console.log(`cluster test: ${JSON.stringify(settings)}\nrun directory: ${runDir}`);
const store = await openCrashStore(settings.provider, settings.sharedPrimary);
const receivers = await startReceivers();
const phase = new Phase(runDir, crash, {
  name: 'cluster',
  backends: BACKENDS,
  spoolersPerBackend: settings.spoolersPerBackend,
  servers: settings.servers,
  env: {
    QSPOOL_RATE_PER_SECOND: String(settings.rate),
    QSPOOL_RATE_BURST: String(settings.burst),
    QSPOOL_SMTP_URL: receivers.smtpUrl,
    QSPOOL_WEBHOOK_ALLOW_PRIVATE: 'true',
    // A killed dispatcher is succeeded within seconds, not the default 15.
    QSPOOL_NOTIFY_LEASE_MS: '3000',
    QSPOOL_NOTIFY_POLL_MS: '250',
    // A delivery claimed by the killed replica is retried after twice this (server/notifications/worker.ts).
    QSPOOL_WEBHOOK_TIMEOUT_MS: '3000',
  },
}, store);
await phase.prepare();
const { cluster } = phase;

const users: ClusterUser[] = [];
for (let i = 0; i < settings.users; i += 1) {
  const name = `user${i}`;
  const out = await cluster.cli(['user', 'add', name, '--email', `${name}@lab.test`, '--json']);
  users.push({ name, token: (JSON.parse(out) as { token: string }).token });
}
const prober = await cluster.addUser('prober');
await cluster.start();
const replicas = Array.from({ length: settings.servers }, (_, i) => cluster.replica(i));
for (const [i, user] of users.entries()) {
  const url = `${replicas[i % replicas.length]!.url}/api/v1/webhooks`;
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${user.token}` }, body: JSON.stringify({ url: receivers.hookUrl(user.name) }) });
  if (response.status !== 201) throw new Error(`registering ${user.name}'s webhook answered ${response.status}: ${await response.text()}`);
}
const leader = await dispatchingReplica(cluster, () => phase.primaryStorage());
// Streams on a replica that is not killed, so what they miss is what that replica failed to relay.
const watched = (leader + 1) % settings.servers;
const watches = await Promise.all(users.map((user) => watchEvents(replicas[watched]!.url, user.name, user.token)));
phase.progress(`${settings.servers} replicas and ${BACKENDS.length * settings.spoolersPerBackend} spoolers up; replica ${leader} dispatches, streams on replica ${watched}`);

const tally = newTally();
const windowMs = settings.seconds * 1000;
let dispatcherKilledAt: number | undefined;
const dispatcherKill = setTimeout(() => {
  dispatcherKilledAt = cluster.killServer(1000, leader)?.at;
  phase.progress(`replica ${leader} (the dispatcher) SIGKILLed, restarting in 1 s`);
}, windowMs * 0.4);
// A spooler holding a job, so that its job must be taken back; any spooler if none is caught holding one in 3 s.
const spoolerKill = new Promise((resolve) => setTimeout(resolve, windowMs * 0.6)).then(async () => {
  for (const giveUpAt = Date.now() + 3000; Date.now() < giveUpAt; ) {
    const holders = await runningHolders(phase, BACKENDS).catch(() => new Map<number, string>());
    const pid = cluster.expendableSpoolers().find((candidate) => holders.has(candidate));
    const kill = pid === undefined ? undefined : cluster.killSpooler(pid, 300);
    if (kill) return phase.progress(`spooler ${kill.pid} SIGKILLed holding job ${holders.get(kill.pid)}, restarting in 0.3 s`);
  }
  const kill = cluster.killRandomSpooler(300);
  phase.progress(`spooler ${kill?.pid ?? '(none)'} SIGKILLed (holding no job), restarting in 0.3 s`);
});
const probe = new Promise((resolve) => setTimeout(resolve, windowMs * 0.1)).then(() =>
  probeRate(replicas.map((r) => r.url), prober, { seconds: settings.rateSeconds, rate: settings.rate, burst: settings.burst, offeredPerSecond: 3 * settings.rate }),
);
const acks = await submitLoad(replicas, users, { jobs: settings.jobs, clientsPerUser: settings.clientsPerUser, windowMs, tally, problems: phase.problems });
const rate = await probe;
await spoolerKill;
clearTimeout(dispatcherKill);
if (dispatcherKilledAt === undefined) phase.problems.push('the dispatching replica was never killed (load window too short)');
await cluster.allReady(60_000);
phase.progress(`${acks.length} jobs acknowledged; waiting for the queues to drain`);
if (!(await phase.drained(120_000))) phase.problems.push('queues did not drain within 120 s');

const storage = await phase.storage();
const events = await outboxEvents(storage, new Set(users.map((u) => u.name))).finally(() => storage.close());
const hookIds = [...events.keys()];
const mailIds = [...events.values()].filter((event) => event.state === 'DONE').map((event) => event.id);
const deadline = Date.now() + 60_000;
const complete = () => allArrived(hookIds, receivers.hooks) && allArrived(mailIds, receivers.mails) && watches.every((w) => hookIds.every((id) => events.get(id)!.owner !== w.user || w.seen.has(id)));
while (!complete() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
phase.progress(`notifications ${complete() ? 'complete' : 'INCOMPLETE'}; a quiet period for late repeats`);
await new Promise((resolve) => setTimeout(resolve, 3000));
for (const watch of watches) watch.close();
const result = await phase.finish(acks.map((a) => a.id), {}, { tally });
await receivers.close();
await store.close();

const checks: { name: string; problems: string[]; note: string }[] = [];
const notDone = result.verdict.acknowledged - result.verdict.done;
checks.push({
  name: 'every acknowledged job one final state, one result',
  problems: [...result.verdict.violations, ...(notDone > 0 ? [`${notDone} acknowledged jobs did not end DONE`] : [])],
  note: `${acks.length} acknowledged (${replicas.map((_, i) => acks.filter((a) => a.replica === i).length).join(' / ')} by replica), ${result.verdict.done} DONE`,
});
const mails = judgeDeliveries(mailIds, receivers.mails, dispatcherKilledAt);
const hooks = judgeDeliveries(hookIds, receivers.hooks, dispatcherKilledAt);
checks.push({
  name: 'each e-mail and webhook delivered once per subscriber',
  problems: [...deliveryProblems('e-mail', mails), ...deliveryProblems('webhook', hooks), ...orderProblems('webhook', receivers.hooks)],
  note: `${mails.delivered}/${mails.expected} e-mails, ${hooks.delivered}/${hooks.expected} webhook calls; repeated across the dispatcher's kill: ${mails.repeatedAcrossKill.length} e-mails, ${hooks.repeatedAcrossKill.length} webhooks`,
});
const deviation = (rate.admitted - rate.expected) / rate.expected;
checks.push({
  name: `rate limit of ${settings.rate}/s held within ${settings.rateTolerance * 100}% across the replicas`,
  problems: Math.abs(deviation) > settings.rateTolerance ? [`admitted ${rate.admitted}, expected ${rate.expected.toFixed(0)} (${(deviation * 100).toFixed(1)}%)`] : [],
  note: `${rate.admitted} admitted, ${rate.refused} refused, ${rate.unanswered} unanswered in ${rate.seconds.toFixed(1)} s over ${settings.servers} replicas; burst + R × t = ${rate.expected.toFixed(0)} (${(deviation * 100).toFixed(1)}%)`,
});
const streams = streamProblems(watches, events);
const elsewhere = acks.filter((a) => a.replica !== watched).length;
checks.push({
  name: 'SSE on one replica carried the events of jobs submitted through the others',
  problems: [...streams.problems, ...(elsewhere === 0 ? ['no job was submitted through another replica'] : [])],
  note: `${streams.carried}/${streams.expected} events on replica ${watched}; ${elsewhere} of the jobs were submitted through other replicas`,
});

console.log(`store: ${settings.provider}${settings.sharedPrimary ? " (every process's primary, each on a data directory of its own)" : ""}`);
console.log(report([result]));
for (const check of checks) {
  console.log(`${check.problems.length === 0 ? 'ok  ' : 'FAIL'} ${check.name}: ${check.note}`);
  for (const problem of check.problems.slice(0, 20)) console.log(`       ${problem}`);
}
const failing = checks.filter((c) => c.problems.length > 0).length;
// Mocha-style counts, which .ci/run adds up like every other suite's.
console.log(`  ${checks.length - failing} passing\n  ${failing} failing`);
console.log(`${failing ? 'FAILED' : 'PASSED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (failing || settings.keep) console.log(`data and logs kept in ${runDir}`);
else await rm(runDir, { recursive: true, force: true });
process.exit(failing ? 1 : 0);
