// The system the accessibility tests share (test/ui/accessibility-*.ui.ts): users kim, with a job in each state, pat,
// with two pages of jobs, and lee, with none, besides the admin. kim's jobs other than the finished one sit on the
// backend no spooler serves, so nothing but the tests moves them; two of them stay RUNNING until a test ends them.
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import examples from '../../../server/ui/examples.json' with { type: 'json' };
import type { RetryPolicy } from '../../../schemas/retry-policy.ts';
import { JobLifecycle } from '../../../storage/lifecycle.ts';
import type { ClaimedJob } from '../../../storage/lifecycle-types.ts';
import { eventually, postJson } from '../../support/system.ts';
import { launchBrowser, type UserPage } from './browser.ts';
import { IDLE_BACKEND, PASSWORD, startUiSystem, type UiSystem } from './system.ts';

const payloadOf = (id: string) => examples.examples.find((e) => e.id === id)!.payload;
const IDLE_JOB = payloadOf('spooler-rydberg-measure-only');
/** The job the keyboard test submits, and kim's finished one. */
export const RUN_JOB = payloadOf('quickstart-singlequdit-half-flip');
/** One more than the job list's page holds. */
const TWO_PAGES = 21;
const ONCE: RetryPolicy = { max_attempts: 1, base_delay_ms: 0, factor: 1, max_delay_ms: 0, exit_codes: [75], timeouts: false, lease_expiry: true };

export interface AccessibilitySystem {
  system: UiSystem;
  browser: Browser;
  lifecycle: JobLifecycle;
  /** kim's jobs by state; `requeued` is a second dead letter, for a test to requeue. */
  kim: Record<'queued' | 'running' | 'listed' | 'error' | 'dead' | 'requeued' | 'cancelled' | 'done', string>;
  /** The claims that hold kim's running jobs, for tests to end them. */
  claims: Record<'running' | 'listed', ClaimedJob>;
  tokenOf(username: string): Promise<string>;
  /** Logs in on the log-in page; the browser goes on to My jobs. */
  logIn(user: UserPage, username: string): Promise<void>;
  stop(): Promise<void>;
}

async function startAccessibilitySystem(): Promise<AccessibilitySystem> {
  // Leases outlast the tests: kim's running jobs must stay RUNNING until a test moves them on.
  const [system, browser] = await Promise.all([startUiSystem({ QSPOOL_LEASE_MS: 3_600_000 }), launchBrowser()]);
  const lifecycle = new JobLifecycle(system.storage);
  const tokenOf = async (username: string) =>
    ((await postJson(`${system.url}/api/v1/auth/token`, { username, password: PASSWORD })).body as { access_token: string }).access_token;
  const submit = async (token: string, backend: string, payload: unknown) => {
    const answer = await system.call('POST', `/backends/${backend}/jobs`, token, { payload });
    expect(answer.status, answer.text).to.equal(201);
    return (answer.body as { id: string }).id;
  };
  for (const name of ['kim', 'pat', 'lee']) await system.server.users.createUser(name, { role: 'user', email: `${name}@example.org`, password: PASSWORD });
  const [kimToken, patToken] = [await tokenOf('kim'), await tokenOf('pat')];
  const kim = {} as AccessibilitySystem['kim'];
  const claims = {} as AccessibilitySystem['claims'];
  // Claims take the oldest queued job: submitted and claimed in this order, each claim is the job just named.
  for (const state of ['running', 'listed', 'error', 'dead', 'requeued'] as const) {
    kim[state] = await submit(kimToken, IDLE_BACKEND, IDLE_JOB);
    const claim = (await lifecycle.claim(IDLE_BACKEND, 'a11y-test'))!;
    expect(claim.record.id).to.equal(kim[state]);
    if (state === 'running' || state === 'listed') claims[state] = claim;
    if (state === 'error') await lifecycle.fail(claim, 'Instruction 0: the laser is not locked');
    if (state === 'dead' || state === 'requeued') await lifecycle.failAttempt(claim, { kind: 'exit-code', exitCode: 75, message: 'laser unlocked' }, ONCE);
  }
  kim.cancelled = await submit(kimToken, IDLE_BACKEND, IDLE_JOB);
  await lifecycle.cancel(IDLE_BACKEND, kim.cancelled);
  kim.queued = await submit(kimToken, IDLE_BACKEND, IDLE_JOB);
  kim.done = await submit(kimToken, 'singlequdit', RUN_JOB);
  for (let i = 0; i < TWO_PAGES; i += 1) await submit(patToken, IDLE_BACKEND, IDLE_JOB);
  await eventually(async () => ((await system.call('GET', `/jobs/${kim.done}`, kimToken)).body as { status: string }).status === 'DONE' || undefined, 60_000, 100);
  return {
    system,
    browser,
    lifecycle,
    kim,
    claims,
    tokenOf,
    async logIn(user, username) {
      await user.page.goto(`${system.url}/login`);
      await user.page.fill('input[name=username]', username);
      await user.page.fill('input[name=password]', PASSWORD);
      await user.page.click('button[type=submit]');
      await user.page.waitForURL((url) => url.pathname !== '/login');
    },
    async stop() {
      await browser.close();
      await system.stop();
    },
  };
}

/** Starts the system before a suite's tests and stops it after them; the getter hands it to the tests. */
export function accessibilitySystemHooks(): () => AccessibilitySystem {
  let system: AccessibilitySystem | undefined;
  before(async () => {
    system = await startAccessibilitySystem();
  });
  after(async () => {
    await system?.stop();
  });
  return () => system!;
}
