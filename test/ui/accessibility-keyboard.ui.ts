// The web interface by keyboard alone, in Debian's Chromium (WCAG 2.1.1, 2.4.3, 2.4.7, 1.4.11): a skip link first,
// then logging in, submitting, cancelling, paging, tokens, an admin's requeue and purge, and logging out with Tab,
// Shift+Tab, Enter and Space only; every control passed shows a focus ring of 3:1 contrast, the focus follows the
// page's order without a trap, and after each action it is where the action led. Run: npm run test:ui.
import { expect } from 'chai';
import { postJson } from '../support/system.ts';
import { ADMIN, PASSWORD } from './support/system.ts';
import { RUN_JOB, accessibilitySystemHooks } from './support/accessibility.ts';
import { openPage, type UserPage } from './support/browser.ts';
import { expectFocusOn, expectFocusVisible, tabTo, whatHasFocus } from './support/keyboard.ts';

describe('web interface accessibility: by keyboard alone', function () {
  this.timeout(180_000);
  const a11y = accessibilitySystemHooks();

  // pat's tab goes from one test to the next, as one person's would; closing the browser ends it.
  let pat: UserPage;
  before(async () => {
    pat = await openPage(a11y().browser);
  });

  it('first reaches a visible skip link that leads past the navigation into the page', async () => {
    await pat.page.goto(`${a11y().system.url}/login`);
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
    // Said once: the list's own announcements of changed jobs leave out what the user just did.
    await pat.page.locator(`tr[data-job="${id}"][data-state=CANCELLED]`).waitFor();
    expect(await pat.page.locator('[data-testid=state-changes]').textContent()).to.not.include(id);
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
    const { jobs } = (await a11y().system.call('GET', '/jobs?status=QUEUED&limit=1', await a11y().tokenOf('pat'))).body as { jobs: { id: string }[] };
    await pat.page.goto(`${a11y().system.url}/jobs/${jobs[0]!.id}`);
    await pat.page.locator('[data-testid=queue-position]').waitFor();
    await tabTo(pat.page, 'button', 'a queued job\'s page', { text: 'Cancel job' });
    await pat.page.keyboard.press('Enter');
    expect((await expectFocusOn(pat.page, '[role=status]', 'the outcome of the cancel')).text).to.equal('Cancelled.');
  });

  it('confirms an e-mail address, and the focus goes to what happened, the button being gone', async () => {
    // Signed up (not made by an admin), so the address waits for its confirmation.
    const signup = await postJson(`${a11y().system.url}/api/v1/users`, { username: 'val', email: 'val@example.org', password: PASSWORD });
    expect(signup.status, signup.text).to.equal(201);
    const { code } = await a11y().system.server.users.issueEmailCheck('val');
    const val = await openPage(a11y().browser);
    try {
      await a11y().logIn(val, 'val');
      await val.page.goto(`${a11y().system.url}/verify-email?code=${code}`);
      await tabTo(val.page, 'main button', 'Confirm your e-mail address', { text: 'Confirm' });
      await val.page.keyboard.press('Enter');
      expect((await expectFocusOn(val.page, '[role=status]', 'the outcome of the confirmation')).text).to.equal('Confirmed: job mails go to val@example.org now.');
    } finally {
      await val.context.close();
    }
  });

  it('logs out, and the focus starts on the log-in page\'s heading', async () => {
    await tabTo(pat.page, 'header button', 'API tokens', { backwards: true, text: 'Log out' });
    await pat.page.keyboard.press('Enter');
    await pat.page.waitForURL('**/login');
    expect((await expectFocusOn(pat.page, 'main h1', 'the heading of Log in')).text).to.equal('Log in');
  });

  it('requeues a dead letter and purges a job as an admin, and the focus goes to what happened, the rows being gone', async () => {
    const root = await openPage(a11y().browser);
    try {
      await a11y().logIn(root, ADMIN);
      await root.page.goto(`${a11y().system.url}/admin`);
      await root.page.locator(`tr[data-dead-letter="${a11y().kim.requeued}"]`).waitFor();
      await tabTo(root.page, `tr[data-dead-letter="${a11y().kim.requeued}"] button`, 'the admin page', { text: 'Requeue', limit: 200 });
      await root.page.keyboard.press('Enter');
      expect((await expectFocusOn(root.page, '[role=status]', 'the outcome of the requeue')).text).to.equal(`Job ${a11y().kim.requeued} requeued.`);
      await tabTo(root.page, `button[aria-label="Purge job ${a11y().kim.cancelled}"]`, 'the admin page', { limit: 200 });
      await root.page.keyboard.press('Enter');
      expect((await expectFocusOn(root.page, '[role=status]', 'the outcome of the purge')).text).to.equal(`Job ${a11y().kim.cancelled} and its result were deleted.`);
    } finally {
      await root.context.close();
    }
  });

  it('shows the focus on every control of every page, in page order, and lets it go round without a trap', async () => {
    const root = await openPage(a11y().browser);
    try {
      await a11y().logIn(root, ADMIN);
      for (const [path, ready] of [
        ['/admin', `tr[data-dead-letter="${a11y().kim.dead}"]`],
        [`/jobs/${a11y().kim.done}`, 'figure.histogram canvas'],
        ['/submit', 'select[name=backend]:has(option)'],
        ['/tokens', 'form input[name=name]'],
        ['/backends', 'article[data-backend]'],
      ] as const) {
        await root.page.goto(`${a11y().system.url}${path}`);
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
