// The web interface against WCAG 2.1 AA in Debian's Chromium, as axe-core sees it: every page in every state a user
// meets (logged out, forms refused, job lists empty, full, filtered and paged, a job in each state, tokens, every
// admin section) with no violation of any impact, a title of its own per view, and reflow to 320 px without sideways
// scrolling. What axe cannot see is in accessibility-keyboard.ui.ts and accessibility-screen-readers.ui.ts.
// Run: npm run test:ui.
import { expect } from 'chai';
import { ADMIN, PASSWORD } from './support/system.ts';
import { accessibilitySystemHooks } from './support/accessibility.ts';
import { axeViolations, expectNoHorizontalScroll, openPage, type UserPage } from './support/browser.ts';

describe('web interface accessibility: axe-core on every page and state', function () {
  this.timeout(180_000);
  const a11y = accessibilitySystemHooks();

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
        await user.page.goto(`${a11y().system.url}${path}`);
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

  it('is able to fail: it names planted faults of contrast, language, heading order and landmarks', async () => {
    const anon = await openPage(a11y().browser);
    try {
      await anon.page.goto(`${a11y().system.url}/login`);
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
    const anon = await openPage(a11y().browser);
    const audit = auditor(anon);
    try {
      await audit.visit('/login', 'form input[name=username]', 'login');
      await anon.page.fill('input[name=username]', 'kim');
      await anon.page.fill('input[name=password]', 'not the password');
      await anon.page.click('button[type=submit]');
      await anon.page.locator('main [role=alert]').waitFor();
      await audit.check('login refused');
      await audit.visit('/signup', 'form input[name=email]', 'signup');
      // A taken username, and an address the a11y().browser lets through but the server does not take.
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
    const users = { kim: await openPage(a11y().browser), pat: await openPage(a11y().browser), lee: await openPage(a11y().browser) };
    const audit = { kim: auditor(users.kim), pat: auditor(users.pat), lee: auditor(users.lee) };
    try {
      for (const [name, user] of Object.entries(users)) await a11y().logIn(user, name);
      await audit.kim.visit('/jobs', `tr[data-job="${a11y().kim.done}"][data-state=DONE]`, 'my jobs, every state');
      expect(await users.kim.page.locator('tr[data-job]').evaluateAll((rows) => [...new Set(rows.map((r) => r.getAttribute('data-state')))].sort())).to.deep.equal(
        ['CANCELLED', 'DONE', 'ERROR', 'QUEUED', 'RUNNING'],
      );
      await users.kim.page.selectOption('form.filters select >> nth=0', 'DONE,ERROR,CANCELLED');
      await users.kim.page.click('text=Apply filters');
      await users.kim.page.locator(`tr[data-job="${a11y().kim.queued}"]`).waitFor({ state: 'detached' });
      await users.kim.page.locator(`tr[data-job="${a11y().kim.done}"]`).waitFor();
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
    const user = await openPage(a11y().browser);
    const audit = auditor(user);
    try {
      await a11y().logIn(user, 'kim');
      await audit.visit(`/jobs/${a11y().kim.queued}`, '[data-testid=queue-position]', 'job queued');
      await audit.visit(`/jobs/${a11y().kim.running}`, '[data-testid=job-state] [data-state=RUNNING]', 'job running');
      await audit.visit(`/jobs/${a11y().kim.done}`, 'figure.histogram canvas', 'job done');
      await user.page.click('figure.histogram summary');
      await user.page.click('ol.timeline + details summary');
      await audit.check('job done, counts and history open');
      await audit.visit(`/jobs/${a11y().kim.error}`, '[data-testid=job-state] [data-state=ERROR]', 'job error');
      await audit.visit(`/jobs/${a11y().kim.cancelled}`, '[data-testid=job-state] [data-state=CANCELLED]', 'job cancelled');
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
    const root = await openPage(a11y().browser);
    const audit = auditor(root);
    try {
      await a11y().logIn(root, ADMIN);
      await audit.visit('/admin', `tr[data-dead-letter="${a11y().kim.dead}"]`, 'admin');
      await root.page.locator('tr[data-spooler-backend=singlequdit] code').first().waitFor();
      await root.page.locator('tr[data-provider]').first().waitFor();
      await root.page.locator('tr[data-job]').first().waitFor();
      await root.page.locator(`tr[data-dead-letter="${a11y().kim.dead}"] summary`).click();
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

  it('reflows every page to 320 and 640 px wide (400 % and 200 % zoom) without sideways scrolling', async () => {
    for (const width of [320, 640]) {
      const phones = { kim: await openPage(a11y().browser, width, 640), root: await openPage(a11y().browser, width, 640) };
      try {
        await a11y().logIn(phones.kim, 'kim');
        await a11y().logIn(phones.root, ADMIN);
        const pages: [keyof typeof phones, string, string][] = [
          ['kim', '/backends', 'article[data-backend]'],
          ['kim', '/submit', 'select[name=backend]:has(option)'],
          ['kim', '/jobs', 'tr[data-job]'],
          ['kim', `/jobs/${a11y().kim.done}`, 'figure.histogram canvas'],
          ['kim', `/jobs/${a11y().kim.queued}`, '[data-testid=queue-position]'],
          ['kim', '/tokens', 'form input[name=name]'],
          ['root', '/admin', `tr[data-dead-letter="${a11y().kim.dead}"]`],
          ['root', '/login', 'form'],
          ['root', '/signup', 'form'],
        ];
        for (const [who, path, ready] of pages) {
          await phones[who].page.goto(`${a11y().system.url}${path}`);
          await phones[who].page.locator(ready).first().waitFor();
          await expectNoHorizontalScroll(phones[who].page, `${path} at ${width} px`);
        }
      } finally {
        await Promise.all(Object.values(phones).map((phone) => phone.context.close()));
      }
    }
  });
});
