// The web interface against WCAG 2.1 AA in Debian's Chromium. axe-core checks every page in every state a user meets
// (logged out, forms refused, job lists empty, full, filtered and paged, a job in each state, tokens, every admin
// section); by hand, what axe cannot see: keyboard-only use with a visible focus that goes where the action led, job
// state changes told to screen readers, errors tied to their fields, a title of its own per view, and reflow to
// 320 px. Run: npm run test:ui.
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import examples from '../../server/ui/examples.json' with { type: 'json' };
import type { RetryPolicy } from '../../schemas/retry-policy.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import type { ClaimedJob } from '../../storage/lifecycle-types.ts';
import { eventually, postJson } from '../support/system.ts';
import { axeViolations, expectNoHorizontalScroll, launchBrowser, openPage, type UserPage } from './support/browser.ts';
import { expectFocusOn, expectFocusVisible, tabTo, whatHasFocus } from './support/keyboard.ts';
import { ADMIN, IDLE_BACKEND, PASSWORD, startUiSystem, type UiSystem } from './support/system.ts';

const payloadOf = (id: string) => examples.examples.find((e) => e.id === id)!.payload;
const IDLE_JOB = payloadOf('spooler-rydberg-measure-only');
const RUN_JOB = payloadOf('quickstart-singlequdit-half-flip');
/** One more than the job list's page holds. */
const TWO_PAGES = 21;
const ONCE: RetryPolicy = { max_attempts: 1, base_delay_ms: 0, factor: 1, max_delay_ms: 0, exit_codes: [75], timeouts: false, lease_expiry: true };

describe('web interface accessibility (WCAG 2.1 AA)', function () {
  this.timeout(180_000);
  let system: UiSystem;
  let browser: Browser;
  let lifecycle: JobLifecycle;
  /** kim's jobs, one in each state, on the backend no spooler serves (nothing moves them but this test). */
  const kim: Record<'queued' | 'running' | 'listed' | 'error' | 'dead' | 'requeued' | 'cancelled' | 'done', string> = {} as never;
  const claims: Record<'running' | 'listed', ClaimedJob> = {} as never;

  const tokenOf = async (username: string) =>
    ((await postJson(`${system.url}/api/v1/auth/token`, { username, password: PASSWORD })).body as { access_token: string }).access_token;
  const submit = async (token: string, backend: string, payload: unknown) => {
    const answer = await system.call('POST', `/backends/${backend}/jobs`, token, { payload });
    expect(answer.status, answer.text).to.equal(201);
    return (answer.body as { id: string }).id;
  };

  before(async () => {
    // Leases outlast the test: kim's running jobs must stay RUNNING until a test moves them on.
    [system, browser] = await Promise.all([startUiSystem({ QSPOOL_LEASE_MS: 3_600_000 }), launchBrowser()]);
    lifecycle = new JobLifecycle(system.storage);
    for (const name of ['kim', 'pat', 'lee']) await system.server.users.createUser(name, { role: 'user', email: `${name}@example.org`, password: PASSWORD });
    const [kimToken, patToken] = [await tokenOf('kim'), await tokenOf('pat')];
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
  });

  after(async () => {
    await browser?.close();
    await system?.stop();
  });

  async function logIn(user: UserPage, username: string): Promise<void> {
    await user.page.goto(`${system.url}/login`);
    await user.page.fill('input[name=username]', username);
    await user.page.fill('input[name=password]', PASSWORD);
    await user.page.click('button[type=submit]');
    await user.page.waitForURL((url) => url.pathname !== '/login');
  }

  /**
   * Collects axe's violations page by page, and each view's title, so that one run names every page that fails. A
   * view's title is its path's: states of one page share it, different pages must not.
   */
  function auditor(user: UserPage) {
    const found: Record<string, string[]> = {};
    const titles = new Map<string, string>();
    return {
      async check(label: string): Promise<void> {
        const violations = await axeViolations(user.page);
        if (violations.length) found[label] = violations;
        titles.set(new URL(user.page.url()).pathname.replace(/[0-9a-f]{24}$/, ':id'), await user.page.title());
      },
      async visit(path: string, ready: string, label: string): Promise<void> {
        await user.page.goto(`${system.url}${path}`);
        await user.page.locator(ready).first().waitFor();
        await this.check(label);
      },
      verify(): void {
        expect(found, 'axe violations by page').to.deep.equal({});
        const distinct = new Set(titles.values());
        expect(distinct.size, `titles by page: ${JSON.stringify(Object.fromEntries(titles))}`).to.equal(titles.size);
        for (const title of distinct) expect(title).to.match(/^.+ · qspool$/);
      },
    };
  }

  describe('axe-core on every page and state', () => {
    it('is able to fail: it names planted faults of contrast, language, heading order and landmarks', async () => {
      const anon = await openPage(browser);
      try {
        await anon.page.goto(`${system.url}/login`);
        await anon.page.locator('form input[name=username]').waitFor();
        await anon.page.evaluate(() => {
          document.documentElement.removeAttribute('lang');
          const main = document.querySelector('main')!;
          main.append(Object.assign(document.createElement('h4'), { textContent: 'skipped levels' }));
          main.append(Object.assign(document.createElement('p'), { textContent: 'faint', className: 'planted' }));
          document.querySelector<HTMLElement>('.planted')!.style.color = '#bbb';
          document.body.append(Object.assign(document.createElement('div'), { textContent: 'outside every landmark' }));
        });
        const rules = (await axeViolations(anon.page)).map((violation) => violation.split(':')[0]);
        expect(rules).to.deep.equal(['serious color-contrast', 'moderate heading-order', 'serious html-has-lang', 'moderate region']);
      } finally {
        await anon.context.close();
      }
    });

    it('finds no violation on the pages of someone logged out, refused forms included', async () => {
      const anon = await openPage(browser);
      const audit = auditor(anon);
      try {
        await audit.visit('/login', 'form input[name=username]', 'login');
        await anon.page.fill('input[name=username]', 'kim');
        await anon.page.fill('input[name=password]', 'not the password');
        await anon.page.click('button[type=submit]');
        await anon.page.locator('main [role=alert]').waitFor();
        await audit.check('login refused');
        await audit.visit('/signup', 'form input[name=email]', 'signup');
        // A taken username, and an address the browser lets through but the server does not take.
        for (const [username, email, label] of [['kim', 'kim2@example.org', 'signup, username taken'], ['newcomer', 'newcomer@localhost', 'signup, address refused']]) {
          await anon.page.fill('input[name=username]', username!);
          await anon.page.fill('input[name=email]', email!);
          await anon.page.fill('input[name=password]', PASSWORD);
          await anon.page.click('button[type=submit]');
          await anon.page.locator('main :is([role=alert], .field-error)').first().waitFor();
          await audit.check(label!);
        }
        await audit.visit('/backends', 'article[data-backend=singlequdit]', 'backends');
        // The pages' own "not found" (other addresses get the API's JSON 404).
        await audit.visit('/jobs/not-a-job-id', 'main h1', 'not found');
        audit.verify();
        expect(anon.console.errors.filter((line) => !/40[19]|422/.test(line)), 'console errors').to.deep.equal([]);
      } finally {
        await anon.context.close();
      }
    });

    it('finds no violation on a user\'s job lists: every state, filtered, paged, and empty', async () => {
      const users = { kim: await openPage(browser), pat: await openPage(browser), lee: await openPage(browser) };
      const audit = { kim: auditor(users.kim), pat: auditor(users.pat), lee: auditor(users.lee) };
      try {
        for (const [name, user] of Object.entries(users)) await logIn(user, name);
        await audit.kim.visit('/jobs', `tr[data-job="${kim.done}"][data-state=DONE]`, 'my jobs, every state');
        expect(await users.kim.page.locator('tr[data-job]').evaluateAll((rows) => [...new Set(rows.map((r) => r.getAttribute('data-state')))].sort())).to.deep.equal(
          ['CANCELLED', 'DONE', 'ERROR', 'QUEUED', 'RUNNING'],
        );
        await users.kim.page.selectOption('form.filters select >> nth=0', 'DONE,ERROR,CANCELLED');
        await users.kim.page.click('text=Apply filters');
        await users.kim.page.locator(`tr[data-job="${kim.queued}"]`).waitFor({ state: 'detached' });
        await users.kim.page.locator(`tr[data-job="${kim.done}"]`).waitFor();
        await audit.kim.check('my jobs, finished only');
        await audit.pat.visit('/jobs', 'tr[data-job]', 'my jobs, page 1 of 2');
        await users.pat.page.click('button:text("Next page")');
        await users.pat.page.locator('.pager :text("Page 2")').waitFor();
        await users.pat.page.locator('tr[data-job]').first().waitFor();
        await audit.pat.check('my jobs, page 2');
        await audit.lee.visit('/jobs', '[data-testid=no-jobs]', 'my jobs, none');
        for (const check of Object.values(audit)) check.verify();
      } finally {
        await Promise.all(Object.values(users).map((user) => user.context.close()));
      }
    });

    it('finds no violation on a job\'s page in each state, nor on submission, tokens and e-mail confirmation', async () => {
      const user = await openPage(browser);
      const audit = auditor(user);
      try {
        await logIn(user, 'kim');
        await audit.visit(`/jobs/${kim.queued}`, '[data-testid=queue-position]', 'job queued');
        await audit.visit(`/jobs/${kim.running}`, '[data-testid=job-state] [data-state=RUNNING]', 'job running');
        await audit.visit(`/jobs/${kim.done}`, 'figure.histogram canvas', 'job done');
        await user.page.click('figure.histogram summary');
        await user.page.click('ol.timeline + details summary');
        await audit.check('job done, counts and history open');
        await audit.visit(`/jobs/${kim.error}`, '[data-testid=job-state] [data-state=ERROR]', 'job error');
        await audit.visit(`/jobs/${kim.cancelled}`, '[data-testid=job-state] [data-state=CANCELLED]', 'job cancelled');
        await audit.visit('/submit', 'select[name=backend]:has(option:text-is("fermions"))', 'submit');
        await user.page.selectOption('select[name=backend]', 'fermions');
        await user.page.selectOption('select[name=example]', 'invalid-fermions-unknown-gate');
        await user.page.click('button:text("Check")');
        await user.page.locator('[data-testid=issues] li').first().waitFor();
        await audit.check('submit, job refused');
        await user.page.fill('textarea[name=job]', '{"experiment_0": ');
        await user.page.click('button:text("Check")');
        await user.page.locator('main [role=alert]:has-text("Not JSON")').waitFor();
        await audit.check('submit, not JSON');
        await audit.visit('/tokens', '[data-testid=email-status]', 'tokens');
        await user.page.fill('input[name=name]', 'notebook');
        await user.page.click('text=Create token');
        await user.page.locator('[data-testid=new-token]').waitFor();
        await audit.check('tokens, new token shown');
        // The page checks the code only when asked to (a click), so any code of the right shape shows it.
        await audit.visit(`/verify-email?code=${'0'.repeat(32)}`, 'button:text-is("Confirm")', 'verify e-mail');
        await audit.visit('/admin', 'main [role=alert]', 'admin, not an admin');
        audit.verify();
      } finally {
        await user.context.close();
      }
    });

    it('finds no violation on the admin page: users, providers, spoolers, dead letters, everyone\'s jobs, a refused value', async () => {
      const root = await openPage(browser);
      const audit = auditor(root);
      try {
        await logIn(root, ADMIN);
        await audit.visit('/admin', `tr[data-dead-letter="${kim.dead}"]`, 'admin');
        await root.page.locator('tr[data-spooler-backend=singlequdit] code').first().waitFor();
        await root.page.locator('tr[data-provider]').first().waitFor();
        await root.page.locator('tr[data-job]').first().waitFor();
        await root.page.locator(`tr[data-dead-letter="${kim.dead}"] summary`).click();
        await audit.check('admin, with a dead letter\'s attempts open');
        const row = root.page.locator('tr[data-user=kim]');
        await row.locator('input[aria-label="Weight of kim"]').fill('500');
        await row.locator('button:text("Save")').click();
        await row.locator('[role=alert]').waitFor();
        await audit.check('admin, weight refused');
        audit.verify();
      } finally {
        await root.context.close();
      }
    });
  });

  describe('by keyboard alone', () => {
    let pat: UserPage;
    before(async () => {
      pat = await openPage(browser);
    });
    after(async () => {
      await pat.context.close();
    });

    it('first reaches a visible skip link that leads past the navigation into the page', async () => {
      await pat.page.goto(`${system.url}/login`);
      await pat.page.locator('form input[name=username]').waitFor();
      await pat.page.keyboard.press('Tab');
      const first = await whatHasFocus(pat.page);
      expect(first.describe).to.equal('a "Skip to main content"');
      expectFocusVisible(first, 'the log-in page');
      const box = await pat.page.evaluate(() => document.activeElement!.getBoundingClientRect().toJSON() as DOMRect);
      expect(box.width * box.height, 'the skip link shows when it has the focus').to.be.above(100);
      await pat.page.keyboard.press('Enter');
      await expectFocusOn(pat.page, 'main', 'the main content');
      await pat.page.keyboard.press('Tab');
      await expectFocusOn(pat.page, 'input[name=username]', 'the first field of the page');
    });

    it('logs in, and the focus starts on the heading of the page it leads to', async () => {
      await pat.page.keyboard.type('pat');
      await pat.page.keyboard.press('Tab');
      await pat.page.keyboard.type(PASSWORD);
      await pat.page.keyboard.press('Enter');
      await pat.page.waitForURL('**/jobs');
      expect((await expectFocusOn(pat.page, 'main h1', 'the heading of My jobs')).text).to.equal('My jobs');
    });

    it('submits a job with the example and backend chosen by keys, then starts on the job\'s heading', async () => {
      await tabTo(pat.page, 'main a[href="/submit"]', 'My jobs');
      await pat.page.keyboard.press('Enter');
      await pat.page.waitForURL('**/submit');
      await expectFocusOn(pat.page, 'main h1', 'the heading of Submit a job');
      await pat.page.locator('select[name=backend]:has(option:text-is("singlequdit"))').waitFor();
      await tabTo(pat.page, 'select[name=backend]', 'Submit a job');
      // Typing a name's first letters picks it in a closed select, as arrow keys do.
      await pat.page.keyboard.type('singlequdit');
      expect(await pat.page.locator('select[name=backend]').inputValue()).to.equal('singlequdit');
      await tabTo(pat.page, 'select[name=example]', 'Submit a job');
      await pat.page.keyboard.press('ArrowDown');
      expect(JSON.parse(await pat.page.locator('textarea[name=job]').inputValue()), 'the first example loaded').to.deep.equal(RUN_JOB);
      await tabTo(pat.page, 'button[type=submit]', 'Submit a job');
      await pat.page.keyboard.press('Enter');
      await pat.page.waitForURL(/\/jobs\/[0-9a-f]{24}$/);
      expect((await expectFocusOn(pat.page, 'main h1', 'the job\'s heading')).text).to.match(/^Job [0-9a-f]{24}$/);
    });

    it('cancels a queued job from the list, and the focus goes to what happened', async () => {
      await tabTo(pat.page, 'nav a[href="/jobs"]', 'the job\'s page', { backwards: true });
      await pat.page.keyboard.press('Enter');
      await pat.page.waitForURL('**/jobs');
      const cancel = await tabTo(pat.page, 'button[aria-label^="Cancel job"]', 'My jobs');
      const id = cancel.text.split(' ').pop()!;
      await pat.page.keyboard.press('Space');
      expect((await expectFocusOn(pat.page, '[role=status]', 'the outcome of the cancel')).text).to.equal(`Job ${id} cancelled.`);
    });

    it('pages through the list, and the focus goes to the page of jobs shown', async () => {
      await tabTo(pat.page, 'nav.pager button', 'My jobs', { text: 'Next page' });
      await pat.page.keyboard.press('Enter');
      expect((await expectFocusOn(pat.page, 'table.jobs', 'the second page of jobs')).text).to.match(/^Jobs, page 2/);
      await tabTo(pat.page, 'nav.pager button', 'My jobs, page 2', { text: 'Previous page' });
      await pat.page.keyboard.press('Enter');
      expect((await expectFocusOn(pat.page, 'table.jobs', 'the first page of jobs')).text).to.match(/^Jobs, page 1/);
    });

    it('creates a token and revokes it, the focus going to the new token and then to what happened', async () => {
      await tabTo(pat.page, 'nav a[href="/tokens"]', 'My jobs', { backwards: true });
      await pat.page.keyboard.press('Enter');
      await pat.page.waitForURL('**/tokens');
      await tabTo(pat.page, 'input[name=name]', 'API tokens');
      await pat.page.keyboard.type('keyboard');
      await pat.page.keyboard.press('Enter');
      expect((await expectFocusOn(pat.page, 'section.secret', 'the new token')).text).to.include('Your new token “keyboard”');
      await tabTo(pat.page, 'button[aria-label="Revoke token keyboard"]', 'API tokens');
      await pat.page.keyboard.press('Enter');
      expect((await whatHasFocus(pat.page)).text, 'revoking asks again, on the same button').to.equal('Revoke token keyboard');
      await pat.page.keyboard.press('Enter');
      expect((await expectFocusOn(pat.page, '[role=status]', 'the outcome of the revoke')).text).to.equal('Token “keyboard” revoked.');
    });

    it('cancels a job on its own page, and the focus goes to what happened', async () => {
      const { jobs } = (await system.call('GET', '/jobs?status=QUEUED&limit=1', await tokenOf('pat'))).body as { jobs: { id: string }[] };
      await pat.page.goto(`${system.url}/jobs/${jobs[0]!.id}`);
      await pat.page.locator('[data-testid=queue-position]').waitFor();
      await tabTo(pat.page, 'button', 'a queued job\'s page', { text: 'Cancel job' });
      await pat.page.keyboard.press('Enter');
      expect((await expectFocusOn(pat.page, '[role=status]', 'the outcome of the cancel')).text).to.equal('Cancelled.');
    });

    it('logs out, and the focus starts on the log-in page\'s heading', async () => {
      await tabTo(pat.page, 'header button', 'API tokens', { backwards: true, text: 'Log out' });
      await pat.page.keyboard.press('Enter');
      await pat.page.waitForURL('**/login');
      expect((await expectFocusOn(pat.page, 'main h1', 'the heading of Log in')).text).to.equal('Log in');
    });

    it('requeues a dead letter and purges a job as an admin, and the focus goes to what happened, the rows being gone', async () => {
      const root = await openPage(browser);
      try {
        await logIn(root, ADMIN);
        await root.page.goto(`${system.url}/admin`);
        await root.page.locator(`tr[data-dead-letter="${kim.requeued}"]`).waitFor();
        await tabTo(root.page, `tr[data-dead-letter="${kim.requeued}"] button`, 'the admin page', { text: 'Requeue', limit: 200 });
        await root.page.keyboard.press('Enter');
        expect((await expectFocusOn(root.page, '[role=status]', 'the outcome of the requeue')).text).to.equal(`Job ${kim.requeued} requeued.`);
        await tabTo(root.page, `button[aria-label="Purge job ${kim.cancelled}"]`, 'the admin page', { limit: 200 });
        await root.page.keyboard.press('Enter');
        expect((await expectFocusOn(root.page, '[role=status]', 'the outcome of the purge')).text).to.equal(`Job ${kim.cancelled} and its result were deleted.`);
      } finally {
        await root.context.close();
      }
    });

    it('shows the focus on every control of every page, in page order, and lets it go round without a trap', async () => {
      const root = await openPage(browser);
      try {
        await logIn(root, ADMIN);
        for (const [path, ready] of [
          ['/admin', `tr[data-dead-letter="${kim.dead}"]`],
          [`/jobs/${kim.done}`, 'figure.histogram canvas'],
          ['/submit', 'select[name=backend]:has(option)'],
          ['/tokens', 'form input[name=name]'],
          ['/backends', 'article[data-backend]'],
        ] as const) {
          await root.page.goto(`${system.url}${path}`);
          await root.page.locator(ready).first().waitFor();
          // Every control in the order of the page, and which of them has the focus (-1: none of them).
          const controls = () =>
            root.page.evaluate(() => {
              const all = [...document.querySelectorAll<HTMLElement>('a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex="0"]')];
              const shown = all.filter((e) => e.getClientRects().length > 0);
              return { order: shown.map((e) => e.outerHTML.slice(0, 60)), at: shown.indexOf(document.activeElement as HTMLElement) };
            });
          const { order } = await controls();
          // Round once: from the skip link through every control back to it, each one showing its focus. A date-time
          // field is one control with a stop per part (day, month, …).
          const seen: string[] = [];
          let last = -1;
          await root.page.keyboard.press('Tab');
          for (let presses = 0; presses < 400; presses += 1) {
            const now = await whatHasFocus(root.page);
            const { at } = await controls();
            if (now.tag !== 'body') expectFocusVisible(now, path);
            if (at !== -1 && at !== last) seen.push(order[at]!);
            else if (at === -1 && now.tag !== 'body') seen.push(`not a control: ${now.describe}`);
            last = at;
            await root.page.keyboard.press('Tab');
            if ((await controls()).at === 0) break;
          }
          expect(seen, `Tab order on ${path}`).to.deep.equal(order);
        }
      } finally {
        await root.context.close();
      }
    });
  });

  describe('for screen readers', () => {
    it('tells of a job going from RUNNING to DONE on its page, politely', async () => {
      const user = await openPage(browser);
      try {
        await logIn(user, 'kim');
        await user.page.goto(`${system.url}/jobs/${kim.running}`);
        await user.page.locator('[data-testid=job-state] [data-state=RUNNING]').waitFor();
        const region = user.page.locator(':is([role=status], [aria-live=polite])', { hasText: 'RUNNING' });
        expect(await region.count(), 'a polite live region that says the state').to.equal(1);
        const marked = await region.evaluate((element) => {
          element.setAttribute('data-watched', '');
          return element.getAttribute('aria-atomic');
        });
        expect(marked, 'read as a whole when it changes').to.equal('true');
        await lifecycle.complete(claims.running, { results: [{ header: { name: 'experiment_0' }, shots: 2, success: true, data: { memory: ['0', '1'] } }] });
        // The same element, there before the change: a live region that appears with its text is not read out.
        await user.page.locator('[data-watched]:has-text("DONE")').waitFor();
        expect(await user.page.locator('[data-watched]').textContent()).to.equal('Job state: DONE.');
      } finally {
        await user.context.close();
      }
    });

    it('tells which job of a list changed state when the list refreshes itself', async () => {
      const user = await openPage(browser);
      try {
        await logIn(user, 'kim');
        await user.page.goto(`${system.url}/jobs`);
        await user.page.locator(`tr[data-job="${kim.listed}"][data-state=RUNNING]`).waitFor();
        await lifecycle.fail(claims.listed, 'the laser is not locked');
        await user.page.locator(`tr[data-job="${kim.listed}"][data-state=ERROR]`).waitFor();
        const said = user.page.locator(':is([role=status], [aria-live=polite])', { hasText: `Job ${kim.listed} is ERROR now.` });
        expect(await said.count()).to.equal(1);
      } finally {
        await user.context.close();
      }
    });
  });

  describe('errors tied to their fields', () => {
    /** The text of whatever a field's aria-describedby names. */
    const description = (user: UserPage, selector: string) =>
      user.page.locator(selector).evaluate((field) =>
        (field.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean).map((id) => document.getElementById(id)?.textContent ?? `(no #${id})`).join(' | '),
      );

    it('marks both log-in fields on a wrong password, says why on each, and puts the focus on the first', async () => {
      const anon = await openPage(browser);
      try {
        await anon.page.goto(`${system.url}/login`);
        await anon.page.fill('input[name=username]', 'kim');
        await anon.page.fill('input[name=password]', 'not the password');
        await anon.page.click('button[type=submit]');
        const error = (await anon.page.locator('main [role=alert]').textContent())!;
        for (const field of ['username', 'password']) {
          expect(await anon.page.locator(`input[name=${field}]`).getAttribute('aria-invalid'), field).to.equal('true');
          expect(await description(anon, `input[name=${field}]`), field).to.equal(error);
        }
        await expectFocusOn(anon.page, 'input[name=username]', 'the first field in error');
      } finally {
        await anon.context.close();
      }
    });

    it('puts a sign-up refusal under the field it is about, next to that field\'s help', async () => {
      const anon = await openPage(browser);
      try {
        await anon.page.goto(`${system.url}/signup`);
        for (const [username, email, field, says] of [
          ['kim', 'kim2@example.org', 'username', 'User kim already exists'],
          ['newcomer', 'newcomer@localhost', 'email', 'email: must match'],
        ]) {
          await anon.page.fill('input[name=username]', username!);
          await anon.page.fill('input[name=email]', email!);
          await anon.page.fill('input[name=password]', PASSWORD);
          await anon.page.click('button[type=submit]');
          await anon.page.locator(`input[name=${field}][aria-invalid=true]`).waitFor();
          expect(await description(anon, `input[name=${field}]`)).to.include(says!);
          await expectFocusOn(anon.page, `input[name=${field}]`, `the ${field} field`);
          expect(await anon.page.locator('input[aria-invalid=true]').count(), 'only the field at fault is marked').to.equal(1);
        }
        expect(await description(anon, 'input[name=username]'), 'the help stays with the field').to.equal('Lower-case letters, digits, "_" and "-".');
      } finally {
        await anon.context.close();
      }
    });

    it('ties a refused token name to its field', async () => {
      const user = await openPage(browser);
      try {
        await logIn(user, 'kim');
        await user.page.goto(`${system.url}/tokens`);
        await user.page.fill('input[name=name]', 'notebook/1');
        await user.page.click('text=Create token');
        await user.page.locator('input[name=name][aria-invalid=true]').waitFor();
        expect(await description(user, 'input[name=name]')).to.match(/^name: must match pattern/);
        await expectFocusOn(user.page, 'input[name=name]', 'the name field');
      } finally {
        await user.context.close();
      }
    });

    it('ties a job\'s problems to the job text, and a refused weight to its input', async () => {
      const user = await openPage(browser);
      try {
        await logIn(user, 'kim');
        await user.page.goto(`${system.url}/submit`);
        await user.page.locator('select[name=backend]:has(option:text-is("fermions"))').waitFor();
        await user.page.selectOption('select[name=backend]', 'fermions');
        await user.page.selectOption('select[name=example]', 'invalid-fermions-unknown-gate');
        await user.page.click('button:text("Check")');
        await user.page.locator('[data-testid=issues] li').first().waitFor();
        expect(await user.page.locator('textarea[name=job]').getAttribute('aria-invalid')).to.equal('true');
        expect(await description(user, 'textarea[name=job]')).to.include('The backend would refuse this job').and.include('fhops');
        await expectFocusOn(user.page, 'section:has([data-testid=issues])', 'the list of the job\'s problems');
      } finally {
        await user.context.close();
      }
      const root = await openPage(browser);
      try {
        await logIn(root, ADMIN);
        await root.page.goto(`${system.url}/admin`);
        const row = root.page.locator('tr[data-user=lee]');
        await row.locator('input[aria-label="Max priority of lee"]').fill('12');
        await row.locator('button:text("Save")').click();
        const error = (await row.locator('[role=alert]').textContent())!;
        expect(error).to.include('max_priority');
        expect(await row.locator('input[aria-label="Max priority of lee"]').getAttribute('aria-invalid')).to.equal('true');
        expect(await description(root, 'tr[data-user=lee] input[aria-label="Max priority of lee"]')).to.equal(error);
        expect(await row.locator('input[aria-label="Weight of lee"]').getAttribute('aria-invalid'), 'the weight was fine').to.equal(null);
      } finally {
        await root.context.close();
      }
    });
  });

  it('reflows every page to 320 and 640 px wide (400 % and 200 % zoom) without sideways scrolling', async () => {
    for (const width of [320, 640]) {
      const phones = { kim: await openPage(browser, width, 640), root: await openPage(browser, width, 640) };
      try {
        await logIn(phones.kim, 'kim');
        await logIn(phones.root, ADMIN);
        const pages: [keyof typeof phones, string, string][] = [
          ['kim', '/backends', 'article[data-backend]'],
          ['kim', '/submit', 'select[name=backend]:has(option)'],
          ['kim', '/jobs', 'tr[data-job]'],
          ['kim', `/jobs/${kim.done}`, 'figure.histogram canvas'],
          ['kim', `/jobs/${kim.queued}`, '[data-testid=queue-position]'],
          ['kim', '/tokens', 'form input[name=name]'],
          ['root', '/admin', `tr[data-dead-letter="${kim.dead}"]`],
          ['root', '/login', 'form'],
          ['root', '/signup', 'form'],
        ];
        for (const [who, path, ready] of pages) {
          await phones[who].page.goto(`${system.url}${path}`);
          await phones[who].page.locator(ready).first().waitFor();
          await expectNoHorizontalScroll(phones[who].page, `${path} at ${width} px`);
        }
      } finally {
        await Promise.all(Object.values(phones).map((phone) => phone.context.close()));
      }
    }
  });
});
