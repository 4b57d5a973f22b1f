// The web interface in Debian's Chromium, used the way people use it: sign up, create a token, submit a corpus job
// and watch it finish, read its histograms, cancel a queued job, and as an admin switch the storage provider off and
// on. Every page is checked with axe-core (no violation of WCAG 2.1 A/AA), must log no console error, is laid
// out at 360 px without sideways scrolling, and is photographed into test-artifacts/ui/. Run: npm run test:ui.
import { expect } from 'chai';
import { mkdir, readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import examples from '../../server/ui/examples.json' with { type: 'json' };
import type { RetryPolicy } from '../../schemas/retry-policy.ts';
import { BAR_FILL } from '../../server/ui/format.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { request } from '../support/system.ts';
import {
  ARTIFACTS,
  countDrawnBars,
  expectAccessible,
  expectNoConsoleErrors,
  expectNoHorizontalScroll,
  launchBrowser,
  openPage,
  screenshot,
  type UserPage,
} from './support/browser.ts';
import { ADMIN, IDLE_BACKEND, PASSWORD, startUiSystem, type UiSystem } from './support/system.ts';

const CORPUS_JOB = 'spooler-fermions-seed';
const README_JOB = 'quickstart-singlequdit-half-flip';
const QUEUED_JOB = 'spooler-rydberg-measure-only';

const payloadOf = (id: string) => examples.examples.find((e) => e.id === id)!.payload;

/** Signs the administrator in on the login page, which then goes on to the admin page. */
async function logInAsAdminAt(url: string, root: UserPage): Promise<void> {
  await root.page.goto(`${url}/login?next=/admin`);
  await root.page.fill('input[name=username]', ADMIN);
  await root.page.fill('input[name=password]', PASSWORD);
  await root.page.click('button[type=submit]');
}

/** Outcome → count, from a result's `memory` lists, one map per experiment. */
function countsOf(result: { results: { header: { name: string }; data: { memory: string[] } }[] }): Record<string, Record<string, number>> {
  const counts: Record<string, Record<string, number>> = {};
  for (const experiment of result.results) {
    const tally: Record<string, number> = {};
    for (const shot of experiment.data.memory) tally[shot] = (tally[shot] ?? 0) + 1;
    counts[experiment.header.name] = tally;
  }
  return counts;
}

describe('web interface in a real browser', function () {
  this.timeout(180_000);
  let system: UiSystem;
  let browser: Browser;
  let ada: UserPage;
  let adaToken: string;
  let doneJob: string;
  let queuedJob: string;
  const started = Date.now();

  before(async () => {
    [system, browser] = await Promise.all([startUiSystem(), launchBrowser()]);
    ada = await openPage(browser);
  });

  after(async () => {
    await browser?.close();
    await system?.stop();
    console.log(`\n    Screenshots of every page: ${ARTIFACTS}\n    Browser test ran ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  /** Opens a page, waits for what shows it is ready, and checks axe, the console, and takes its picture. */
  async function visit(user: UserPage, path: string, ready: string, name: string, axe = true): Promise<void> {
    await user.page.goto(`${system.url}${path}`);
    await user.page.locator(ready).first().waitFor();
    await checkPage(user, name, axe);
  }

  async function checkPage(user: UserPage, name: string, axe = true): Promise<void> {
    if (axe) await expectAccessible(user.page, name);
    expectNoConsoleErrors(user.console, name);
    await screenshot(user.page, name);
  }

  it('serves its pages with a Content-Security-Policy that allows only its own scripts', async () => {
    const page = await request(`${system.url}/jobs`);
    expect(page.status).to.equal(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).to.include("script-src 'self'").and.include("default-src 'none'").and.not.include('unsafe-inline');
    const html = page.text;
    expect(html).to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/);
    for (const asset of html.match(/\/ui\/[^"]+/g) ?? []) expect((await request(`${system.url}${asset}`)).status, asset).to.equal(200);
  });

  it('signs a new user up on the Sign-up page and takes them to their tokens', async () => {
    await visit(ada, '/signup', 'form input[name=username]', 'signup');
    await ada.page.fill('input[name=username]', 'ada');
    await ada.page.fill('input[name=email]', 'ada@example.org');
    await ada.page.fill('input[name=password]', PASSWORD);
    await ada.page.click('button[type=submit]');
    await ada.page.waitForURL('**/tokens');
    expect(await ada.page.locator('[data-testid=signed-in-as]').textContent()).to.equal('ada');
  });

  it('creates an API token, shows it once, and the token works on the API', async () => {
    await ada.page.fill('input[name=name]', 'notebook');
    await ada.page.click('text=Create token');
    adaToken = (await ada.page.locator('[data-testid=new-token]').textContent())!;
    expect(adaToken).to.match(/^[0-9a-f]{32}$/);
    await ada.page.locator('tr[data-token] >> text=notebook').waitFor();
    await checkPage(ada, 'tokens');
    const me = await system.call('GET', '/users/me', adaToken);
    expect((me.body as { username: string }).username).to.equal('ada');
    // Shown once: the list never carries the secret, and a reload forgets it.
    await ada.page.reload();
    await ada.page.locator('tr[data-token]').first().waitFor();
    expect(await ada.page.content()).to.not.include(adaToken);
  });

  it('says job mails wait for the address to be confirmed, and confirms it from the mailed link on a click only', async () => {
    await visit(ada, '/tokens', '[data-testid=email-status]', 'tokens-unconfirmed');
    expect(await ada.page.locator('[data-testid=email-status]').textContent()).to.include('Job mails go to ada@example.org only once you confirm it with the link mailed there');
    // E-mail is off in this system, so no code was mailed: one is issued as the mail would carry it.
    const { code } = await system.server.users.issueEmailCheck('ada');
    await visit(ada, `/verify-email?code=${code}`, 'button:text-is("Confirm")', 'verify-email');
    // Opening the link (as a mail scanner would) confirms nothing.
    expect((await system.call('GET', '/users/me', adaToken)).body).to.include({ email_verified: false });
    await ada.page.click('button:text-is("Confirm")');
    await ada.page.locator('text=Confirmed: job mails go to ada@example.org now.').waitFor();
    await checkPage(ada, 'verify-email-confirmed');
    expect((await system.call('GET', '/users/me', adaToken)).body).to.include({ email_verified: true });
    await visit(ada, '/tokens', '[data-testid=email-status]', 'tokens-confirmed', false);
    expect(await ada.page.locator('[data-testid=email-status]').textContent()).to.equal('Job mails go to ada@example.org.');
  });

  it('lists every backend with its state, queue depth, last heartbeat, gates and limits', async () => {
    await visit(ada, '/backends', 'article[data-backend=singlequdit]', 'backends');
    const card = ada.page.locator('article[data-backend=singlequdit]');
    expect(await card.textContent()).to.include('operational').and.include('Max shots').and.include('rlx');
    expect(await card.locator('[data-testid=queue-depth]').textContent()).to.match(/^0 jobs waiting/);
    expect(await ada.page.locator(`article[data-backend=${IDLE_BACKEND}]`).textContent()).to.include('not operational').and.include('never');
  });

  it('points at the failing instruction of an invalid job before sending it', async () => {
    await visit(ada, '/submit', 'select[name=backend]:has(option:text-is("fermions"))', 'submit');
    await ada.page.selectOption('select[name=backend]', 'fermions');
    await ada.page.selectOption('select[name=example]', 'invalid-fermions-unknown-gate');
    await ada.page.click('button:text("Check")');
    const issues = ada.page.locator('[data-testid=issues] li');
    await issues.first().waitFor();
    expect(await issues.first().textContent()).to.include('experiment_0, instruction 1 (fhops)');
    expect(await ada.page.locator('#instruction-experiment_0-1').getAttribute('data-invalid')).to.equal('true');
    expect(await ada.page.locator('#instruction-experiment_0-0').getAttribute('data-invalid')).to.equal('false');
    await checkPage(ada, 'submit-invalid');
    expect(((await system.call('GET', '/jobs', adaToken)).body as { jobs: unknown[] }).jobs).to.have.length(0);
  });

  it('submits a corpus job from the Submit page and shows it reaching DONE on its Job page', async () => {
    await ada.page.selectOption('select[name=example]', CORPUS_JOB);
    await ada.page.click('button[type=submit]');
    await ada.page.waitForURL(/\/jobs\/[0-9a-f]{24}$/);
    doneJob = ada.page.url().split('/').pop()!;
    await ada.page.locator('[data-testid=job-state] [data-state=DONE]').waitFor({ timeout: 60_000 });
    await ada.page.locator('figure.histogram canvas').first().waitFor();
    const steps = await ada.page.locator('ol.timeline li').evaluateAll((items) => items.map((li) => li.getAttribute('data-step')));
    expect(steps).to.deep.equal(['queued', 'running', 'done']);
    // The signature status is the server's verdict, shown as it is (signing is a per-backend choice).
    const verdict = (await system.call('GET', `/jobs/${doneJob}/signature`, adaToken)).body as { signed: boolean; valid: boolean };
    expect(verdict.valid || !verdict.signed, 'a result this system signed must verify').to.equal(true);
    await ada.page.locator(`[data-testid=signature][data-signature=${verdict.valid ? 'valid' : 'unsigned'}]`).waitFor();
    await checkPage(ada, 'job');
  });

  it('plots one bar per observed outcome with the counts of the result', async () => {
    const result = (await system.call('GET', `/jobs/${doneJob}/result`, adaToken)).body as Parameters<typeof countsOf>[0];
    const expected = countsOf(result);
    expect(Object.keys(expected)).to.have.length(2);
    for (const [experiment, counts] of Object.entries(expected)) {
      const figure = `figure[data-experiment="${experiment}"]`;
      const plotted = JSON.parse((await ada.page.locator(figure).getAttribute('data-counts'))!) as [string, number][];
      expect(Object.fromEntries(plotted), experiment).to.deep.equal(counts);
      expect(await countDrawnBars(ada.page, figure, BAR_FILL), `bars drawn for ${experiment}`).to.equal(Object.keys(counts).length);
    }
  });

  it('downloads the raw result JSON', async () => {
    const [download] = await Promise.all([ada.page.waitForEvent('download'), ada.page.click('[data-testid=download-result]')]);
    const saved = JSON.parse(await readFile((await download.path())!, 'utf8')) as unknown;
    expect(saved).to.deep.equal((await system.call('GET', `/jobs/${doneJob}/result`, adaToken)).body);
  });

  it('plots uneven counts bar for bar (the README\'s quick-start job, 100 shots)', async () => {
    await ada.page.goto(`${system.url}/submit?backend=singlequdit`);
    await ada.page.locator(`select[name=example]:has(option[value=${README_JOB}])`).waitFor();
    await ada.page.selectOption('select[name=example]', README_JOB);
    await ada.page.click('button[type=submit]');
    await ada.page.waitForURL(/\/jobs\/[0-9a-f]{24}$/);
    const id = ada.page.url().split('/').pop()!;
    await ada.page.locator('figure.histogram canvas').waitFor({ timeout: 60_000 });
    const expected = countsOf((await system.call('GET', `/jobs/${id}/result`, adaToken)).body as Parameters<typeof countsOf>[0]).experiment_0!;
    expect(Object.keys(expected).length).to.be.greaterThan(3);
    expect(await countDrawnBars(ada.page, 'figure.histogram', BAR_FILL)).to.equal(Object.keys(expected).length);
    await screenshot(ada.page, 'job-quickstart');
    // The README's picture of the Job page, refreshed on request.
    if (process.env.QSPOOL_UPDATE_DOCS === '1') {
      await mkdir('docs', { recursive: true });
      await ada.page.setViewportSize({ width: 1000, height: 900 });
      await ada.page.screenshot({ path: 'docs/ui-job.png', fullPage: true });
      await ada.page.setViewportSize({ width: 1280, height: 900 });
    }
    expectNoConsoleErrors(ada.console, 'job-quickstart');
  });

  it('shows a queued job\'s position and cancels it from My jobs', async () => {
    const submitted = await system.call('POST', `/backends/${IDLE_BACKEND}/jobs`, adaToken, { payload: payloadOf(QUEUED_JOB), tags: ['ui-test'] });
    expect(submitted.status, submitted.text).to.equal(201);
    queuedJob = (submitted.body as { id: string }).id;
    await visit(ada, `/jobs/${queuedJob}`, '[data-testid=queue-position]', 'job-queued');
    expect(await ada.page.locator('[data-testid=queue-position]').textContent()).to.include('position 1');
    // Where the server streams job events the page follows them instead of polling.
    const documented = (await request(`${system.url}/api/v1/openapi.json`)).body as { paths: Record<string, unknown> };
    const updates = documented.paths['/api/v1/jobs/{id}/events'] ? 'live' : 'every second';
    await ada.page.locator(`[data-testid=updates]:text-is("${updates}")`).waitFor();

    await visit(ada, '/jobs', `tr[data-job="${queuedJob}"]`, 'my-jobs');
    expect(await ada.page.locator(`tr[data-job="${doneJob}"]`).getAttribute('data-state')).to.equal('DONE');
    await ada.page.click(`button[aria-label="Cancel job ${queuedJob}"]`);
    await ada.page.locator(`tr[data-job="${queuedJob}"][data-state=CANCELLED]`).waitFor();
    // The filters are the API's: only cancelled jobs.
    await ada.page.selectOption('form.filters select >> nth=0', 'CANCELLED');
    await ada.page.click('text=Apply filters');
    await ada.page.locator(`tr[data-job="${doneJob}"]`).waitFor({ state: 'detached' });
    // The old rows go before the filtered list arrives: wait for the cancelled job's row, then count.
    await ada.page.locator(`tr[data-job="${queuedJob}"][data-state=CANCELLED]`).waitFor();
    expect(await ada.page.locator('tr[data-job]').count()).to.equal(1);
    await checkPage(ada, 'my-jobs-cancelled');
    const job = (await system.call('GET', `/jobs/${queuedJob}`, adaToken)).body as { status: string };
    expect(job.status).to.equal('CANCELLED');
  });

  it('shows a second user none of the first user\'s jobs, on any page', async () => {
    const bea = await openPage(browser);
    try {
      await visit(bea, '/signup', 'form', 'signup-second-user');
      await bea.page.fill('input[name=username]', 'bea');
      await bea.page.fill('input[name=email]', 'bea@example.org');
      await bea.page.fill('input[name=password]', PASSWORD);
      await bea.page.click('button[type=submit]');
      await bea.page.waitForURL('**/tokens');
      await visit(bea, '/jobs', '[data-testid=no-jobs]', 'my-jobs-second-user');
      expect(await bea.page.locator('tr[data-job]').count()).to.equal(0);
      for (const id of [doneJob, queuedJob]) {
        await bea.page.goto(`${system.url}/jobs/${id}`);
        await bea.page.locator('[role=alert]').waitFor();
        expect(await bea.page.locator('main').textContent()).to.include('No such job');
        expect(await bea.page.locator('figure.histogram, [data-testid=job-state], button:text("Cancel job")').count()).to.equal(0);
        // The only console error is the browser noting the API's 404 for a job that is not hers.
        expect(bea.console.take().every((line) => line.includes('404'))).to.equal(true);
      }
      await screenshot(bea.page, 'job-of-another-user');
      await visit(bea, '/admin', 'main [role=alert]', 'admin-as-user');
      expect(await bea.page.locator('main').textContent()).to.include('needs the admin role');
      expect(await bea.page.locator('nav a[href="/admin"]').count()).to.equal(0);
    } finally {
      await bea.context.close();
    }
  });

  it('lets an admin log in, test, deactivate and reactivate the storage provider', async () => {
    const root = await openPage(browser);
    try {
      await visit(root, '/login?next=/admin', 'form input[name=username]', 'login');
      await root.page.fill('input[name=username]', ADMIN);
      await root.page.fill('input[name=password]', PASSWORD);
      await root.page.click('button[type=submit]');
      await root.page.waitForURL('**/admin');
      const provider = root.page.locator(`tr[data-provider="${system.config.QSPOOL_PROVIDER_NAME}"]`);
      await provider.waitFor();
      await root.page.locator('tr[data-spooler-backend=singlequdit] code').first().waitFor();
      await root.page.locator(`tr[data-job="${queuedJob}"]`).waitFor();
      await checkPage(root, 'admin');

      await provider.locator('button:text("Test")').click();
      await root.page.locator('[role=status]:has-text("succeeded")').waitFor();

      await provider.locator('button:text("Deactivate")').click();
      await root.page.locator(`tr[data-provider="${system.config.QSPOOL_PROVIDER_NAME}"][data-active=false]`).waitFor();
      expect((await request(`${system.url}/api/v2/backends`)).body).to.deep.equal([]);
      await visit(root, '/backends', '[data-testid=no-backends]', 'backends-provider-inactive');

      await visit(root, '/admin', `tr[data-provider="${system.config.QSPOOL_PROVIDER_NAME}"]`, 'admin-provider-inactive');
      await provider.locator('button:text("Activate")').click();
      await root.page.locator(`tr[data-provider="${system.config.QSPOOL_PROVIDER_NAME}"][data-active=true]`).waitFor();
      const listed = (await request(`${system.url}/api/v2/backends`)).body as { display_name: string }[];
      expect(listed.map((b) => b.display_name)).to.include('singlequdit');
      expectNoConsoleErrors(root.console, 'admin');
    } finally {
      await root.context.close();
    }
  });

  it('lets an admin requeue and purge anyone\'s job and disable a user', async () => {
    const root = await openPage(browser);
    try {
      await logInAsAdminAt(system.url, root);
      const row = root.page.locator(`tr[data-job="${queuedJob}"]`);
      await row.waitFor();
      await root.page.click(`button[aria-label="Requeue job ${queuedJob}"]`);
      await root.page.locator(`tr[data-job="${queuedJob}"][data-state=QUEUED]`).waitFor();
      expect(((await system.call('GET', `/jobs/${queuedJob}`, adaToken)).body as { status: string }).status).to.equal('QUEUED');
      await root.page.click(`button[aria-label="Purge job ${queuedJob}"]`);
      await row.waitFor({ state: 'detached' });
      expect((await system.call('GET', `/jobs/${queuedJob}`, adaToken)).status).to.equal(404);

      await root.page.locator('tr[data-user=bea] button:text("Disable")').click();
      await root.page.locator('tr[data-user=bea] >> text=disabled').waitFor();
      const refused = await request(`${system.url}/api/v1/auth/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'bea', password: PASSWORD }) });
      expect(refused.status).to.equal(401);
      await root.page.locator('tr[data-user=bea] button:text("Enable")').click();
      await root.page.locator('tr[data-user=bea] >> text=enabled').waitFor();
      expectNoConsoleErrors(root.console, 'admin actions');
    } finally {
      await root.context.close();
    }
  });

  it('lets an admin set a user\'s weight and max priority, and shows the API\'s words for a value out of range', async () => {
    const root = await openPage(browser);
    const allowances = async () => {
      const { weight, max_priority } = (await system.call('GET', '/users/me', adaToken)).body as { weight: number; max_priority: number };
      return { weight, max_priority };
    };
    try {
      await logInAsAdminAt(system.url, root);
      const row = root.page.locator('tr[data-user=ada]');
      const weight = row.locator('input[aria-label="Weight of ada"]');
      await weight.fill('2.5');
      await row.locator('input[aria-label="Max priority of ada"]').fill('7');
      await row.locator('button:text("Save")').click();
      await row.locator('[role=status]:text-is("Saved: weight 2.5, max priority 7.")').waitFor();
      expect(await allowances()).to.deep.equal({ weight: 2.5, max_priority: 7 });
      expect(await weight.inputValue()).to.equal('2.5');

      await weight.fill('500');
      await row.locator('button:text("Save")').click();
      await row.locator('[role=alert]:text-is("Not saved: body.weight: must be <= 100")').waitFor();
      expect(await row.locator('[role=status]').count(), 'the earlier success is gone').to.equal(0);
      expect(await allowances()).to.deep.equal({ weight: 2.5, max_priority: 7 });
      // The browser notes the API's 422; nothing else may go wrong.
      expect(root.console.take().every((line) => line.includes('422'))).to.equal(true);
      await checkPage(root, 'admin-allowances-refused');
    } finally {
      await root.context.close();
    }
  });

  it('lets an admin see a dead letter\'s failed attempts, requeue one and purge another', async () => {
    const lifecycle = new JobLifecycle(system.storage);
    const once: RetryPolicy = { max_attempts: 1, base_delay_ms: 0, factor: 1, max_delay_ms: 0, exit_codes: [75], timeouts: false, lease_expiry: true };
    const dead: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const submitted = await system.call('POST', `/backends/${IDLE_BACKEND}/jobs`, adaToken, { payload: payloadOf(QUEUED_JOB) });
      const claim = (await lifecycle.claim(IDLE_BACKEND, 'ui-test'))!;
      expect(claim.record.id).to.equal((submitted.body as { id: string }).id);
      await lifecycle.failAttempt(claim, { kind: 'exit-code', exitCode: 75, message: 'laser unlocked' }, once);
      dead.push(claim.record.id);
    }
    const root = await openPage(browser);
    try {
      await logInAsAdminAt(system.url, root);
      const [requeued, purged] = dead.map((id) => root.page.locator(`tr[data-dead-letter="${id}"]`));
      await requeued!.waitFor();
      await requeued!.locator('summary').click();
      expect(await requeued!.textContent()).to.include('exit-code 75, laser unlocked');
      await requeued!.locator('button:text("Requeue")').click();
      await requeued!.waitFor({ state: 'detached' });
      expect(((await system.call('GET', `/jobs/${dead[0]}`, adaToken)).body as { status: string }).status).to.equal('QUEUED');
      await purged!.locator('button:text("Purge")').click();
      await purged!.waitFor({ state: 'detached' });
      expect((await system.call('GET', `/jobs/${dead[1]}`, adaToken)).status).to.equal(404);
      await lifecycle.cancel(IDLE_BACKEND, dead[0]!);
      expectNoConsoleErrors(root.console, 'dead letters');
    } finally {
      await root.context.close();
    }
  });

  it('lays out every page at 360 px without sideways scrolling', async () => {
    const phones = { ada: await openPage(browser, 360, 780), root: await openPage(browser, 360, 780) };
    try {
      for (const [who, username] of [['ada', 'ada'], ['root', ADMIN]] as const) {
        const { page } = phones[who];
        // A `next` that leads off the site is ignored: logging in lands on My jobs.
        await page.goto(`${system.url}/login?next=${encodeURIComponent(who === 'ada' ? '//evil.example/' : '/\\evil.example/')}`);
        await page.fill('input[name=username]', username);
        await page.fill('input[name=password]', PASSWORD);
        await page.click('button[type=submit]');
        await page.waitForURL('**/jobs');
      }
      const pages: [keyof typeof phones, string, string, string][] = [
        ['ada', '/backends', 'article[data-backend]', 'backends'],
        ['ada', '/submit', 'select[name=backend]:has(option)', 'submit'],
        ['ada', '/jobs', 'tr[data-job]', 'my-jobs'],
        ['ada', `/jobs/${doneJob}`, 'figure.histogram canvas', 'job'],
        ['ada', '/tokens', 'tr[data-token]', 'tokens'],
        ['root', '/admin', 'tr[data-provider]', 'admin'],
        ['root', '/login', 'form', 'login'],
        ['root', '/signup', 'form', 'signup'],
      ];
      for (const [who, path, ready, name] of pages) {
        const phone = phones[who];
        // axe ran on each of these pages at desktop width already; here the layout is what is new.
        await visit(phone, path, ready, `${name}-360px`, false);
        await expectNoHorizontalScroll(phone.page, `${name} at 360 px`);
      }
    } finally {
      await Promise.all(Object.values(phones).map((phone) => phone.context.close()));
    }
  });
});
