// Phase "burst" (issue 17, item 1): with one singlequdit spooler running, 8 clients send small jobs at once through
// all three APIs (v1 with an Idempotency-Key, qlued's v2 and v3 post_job); once ~40% of a round's jobs are
// acknowledged the server is SIGKILLed mid-write and restarted on the same data directory while the clients keep
// going. Repeated for CRASH_BURST_ROUNDS rounds. Then every acknowledged job must be final within a bound, in one
// state with one status, in its owner's `GET /api/v1/jobs` list, run once (one claim, one job.done, one result), and
// no v1 key may have made a second job. Each API submits as a user of its own, so "every job of the v1 user was
// acknowledged" is exact: a v2/v3 request cut off by the kill may leave a job its retry then duplicates (the
// client never learnt its id: allowed, but it must still run once and end final), a v1 retry may not.
import { APIS, ownerList, submitOnce, type Api, type ApiUser, type Outcome } from './burst-api.ts';
import { newTally, type HttpTally } from './client.ts';
import { snapshot } from './evidence.ts';
import { Phase, type PhaseResult } from './phase.ts';
import type { CrashSettings } from './settings.ts';
import type { CrashStore } from './store.ts';

const BACKEND = 'singlequdit';
const CLIENTS = 8;
/** Share of a round's jobs acknowledged when the server is killed. */
const KILL_AT_SHARE = 0.4;
/** The killed server comes back after this long (a supervisor restarting it). */
const RESTART_AFTER_MS = 300;
/** Every job must be final this long after the last round's last answer (one spooler works through the backlog). */
const FINAL_WITHIN_MS = 60_000;
/** A v1 key reserved by a killed request is taken over by the server after 30 s; retry it until then plus slack. */
const IN_PROGRESS_RETRY_MS = 45_000;

interface Ack {
  id: string;
  api: Api;
  key: string;
}

/** A small job: one experiment, 1–40 atoms, a few shots (a few ms to simulate), distinct per key. */
function smallJob(index: number): Record<string, unknown> {
  const atoms = 1 + (index % 40);
  return { experiment_0: { instructions: [['load', [0], [atoms]], ['rlx', [0], [0.1 * (index % 30)]], ['measure', [0], []]], shots: 5, num_wires: 1, wire_order: 'interleaved' } };
}

export async function burstPhase(runDir: string, settings: CrashSettings, store: CrashStore): Promise<PhaseResult> {
  const phase = new Phase(runDir, settings, { name: 'burst', backends: [BACKEND], spoolersPerBackend: 1 }, store);
  await phase.prepare();
  const users = {} as Record<Api, ApiUser>;
  for (const api of APIS) users[api] = { name: `burst-${api}`, token: await phase.cluster.addUser(`burst-${api}`) };
  await phase.cluster.start();
  const target = phase.cluster;
  const tally = newTally();
  const acks: Ack[] = [];
  const counts = { replayed: 0, inProgress: 0 };
  // v1 requests that met a reservation of the killed server: retried off the clients' loop, awaited at the end.
  const deferred: Promise<void>[] = [];

  const settle = (api: Api, key: string, outcome: Outcome, onAck: () => void) => {
    if (outcome.id) {
      acks.push({ id: outcome.id, api, key });
      if (outcome.replayed) counts.replayed += 1;
      onAck();
    } else phase.problems.push(`${api} request ${key} answered ${outcome.status}: ${JSON.stringify(outcome.body).slice(0, 200)}`);
  };
  const retryLater = async (key: string, payload: Record<string, unknown>) => {
    const giveUpAt = Date.now() + IN_PROGRESS_RETRY_MS;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const outcome = await submitOnce(target, 'v1', users.v1, BACKEND, payload, key, tally);
      if (outcome.inProgress && Date.now() < giveUpAt) continue;
      return settle('v1', key, outcome, () => undefined);
    }
  };

  const burstStarted = Date.now();
  for (let round = 0; round < settings.burstRounds; round += 1) {
    const killAt = Math.ceil(settings.burstJobs * KILL_AT_SHARE);
    let acknowledged = 0;
    let reserved = 0;
    let killed = false;
    let next = 0;
    const client = async () => {
      while (next < settings.burstJobs) {
        const index = next++;
        // Consecutive jobs use different APIs, so every client mixes all three and all are in flight at the kill.
        const api = APIS[index % APIS.length]!;
        const key = `burst-${round}-${index}`;
        const payload = smallJob(round * settings.burstJobs + index);
        const outcome = await submitOnce(target, api, users[api], BACKEND, payload, key, tally);
        if (outcome.inProgress) {
          counts.inProgress += 1;
          reserved += 1;
          deferred.push(retryLater(key, payload));
          continue;
        }
        settle(api, key, outcome, () => {
          acknowledged += 1;
          if (killed || acknowledged < killAt) return;
          killed = true;
          if (!phase.cluster.killServer(RESTART_AFTER_MS)) phase.problems.push(`round ${round}: no server running to kill`);
        });
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));
    if (!killed) phase.problems.push(`round ${round}: only ${acknowledged} jobs acknowledged, the server was never killed`);
    phase.progress(`round ${round + 1}/${settings.burstRounds}: ${acknowledged} acknowledged (server killed at ${killAt}), ${reserved} v1 keys left reserved by the kill, retried later`);
  }
  await Promise.all(deferred);
  const burstMs = Date.now() - burstStarted;

  const finalStarted = Date.now();
  if (!(await phase.drained(FINAL_WITHIN_MS))) phase.problems.push(`jobs still queued or running ${FINAL_WITHIN_MS / 1000} s after the last round`);
  const finalMs = Date.now() - finalStarted;
  const apiStatus = await checkOwnership(phase, acks, users, tally);
  const byApi = APIS.map((api) => `${acks.filter((a) => a.api === api).length} ${api}`).join(', ');
  phase.notes.push(`${settings.burstRounds} rounds of ${settings.burstJobs} jobs by ${CLIENTS} clients in ${(burstMs / 1000).toFixed(1)} s, server SIGKILLed at ${Math.round(KILL_AT_SHARE * 100)}% of each`);
  phase.notes.push(`acknowledged ${byApi}; ${counts.replayed} v1 retries answered as replays, ${counts.inProgress} met a killed request's key reservation`);
  phase.notes.push(`all final ${finalMs} ms after the last round`);
  return phase.finish(acks.map((a) => a.id), { exactlyOnce: true, apiStatus }, { tally });
}

/**
 * What the owners see and what storage says about whose job is whose: every acknowledged job is in its owner's list
 * (with the status the verdict compares to storage), owned by who sent it, and the v1 user has no job that no
 * answer acknowledged (a retried Idempotency-Key that made a second job).
 */
async function checkOwnership(phase: Phase, acks: Ack[], users: Record<Api, ApiUser>, tally: HttpTally): Promise<Map<string, string>> {
  const apiStatus = new Map<string, string>();
  const lists = new Map<Api, Map<string, string>>();
  for (const api of APIS) lists.set(api, await ownerList(phase.cluster, users[api], tally));
  for (const { id, api, key } of acks) {
    const status = lists.get(api)!.get(id);
    if (status === undefined) phase.problems.push(`${id}: acknowledged to ${api} request ${key}, but missing from ${users[api].name}'s GET /api/v1/jobs`);
    else apiStatus.set(id, status);
  }
  const acknowledged = new Set(acks.map((a) => a.id));
  const owners = new Map(acks.map((a) => [a.id, users[a.api].name]));
  const storage = await phase.storage();
  const jobs = await snapshot(storage, [BACKEND]).finally(() => storage.close());
  for (const { id, record } of jobs.values()) {
    const expected = owners.get(id);
    if (expected !== undefined && record?.owner !== expected) phase.problems.push(`${id}: sent by ${expected}, owned by ${record?.owner}`);
    if (record?.owner === users.v1.name && !acknowledged.has(id)) phase.problems.push(`${id}: a v1 job no answer acknowledged (a retried Idempotency-Key made a second job)`);
  }
  return apiStatus;
}
