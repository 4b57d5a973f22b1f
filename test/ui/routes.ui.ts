// Where the web interface's addresses lead, in Debian's Chromium: the log-in page's `next` never ends anywhere but on
// this site (and never in an error after a successful log-in), and jobs imported from qlued, which keep qlued's ids,
// have their Job page like every other job. Run: npm run test:ui.
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { launchBrowser, openPage, type UserPage } from './support/browser.ts';
import { PASSWORD, startUiSystem, type UiSystem } from './support/system.ts';

describe('web interface addresses', function () {
  this.timeout(180_000);
  let system: UiSystem;
  let browser: Browser;
  let ivy: UserPage;

  before(async () => {
    [system, browser] = await Promise.all([startUiSystem(), launchBrowser()]);
    await system.server.users.createUser('ivy', { role: 'user', email: 'ivy@example.org', password: PASSWORD });
    ivy = await openPage(browser);
  });

  after(async () => {
    await browser?.close();
    await system?.stop();
  });

  async function logInWith(next: string): Promise<void> {
    await ivy.page.goto(`${system.url}/login?next=${next}`);
    await ivy.page.fill('input[name=username]', 'ivy');
    await ivy.page.fill('input[name=password]', PASSWORD);
    await ivy.page.click('button[type=submit]');
    await ivy.page.waitForURL((url) => url.pathname !== '/login');
  }

  it('goes on to `next` after logging in only when the browser reads it as a page of this site', async () => {
    await logInWith(encodeURIComponent('/submit?backend=fermions'));
    expect(new URL(ivy.page.url()).pathname + new URL(ivy.page.url()).search).to.equal('/submit?backend=fermions');
    // A tab or a line break after the first slash is dropped by the browser: `//example.org`, another site.
    for (const next of ['/%09/example.org/x', '/%0A/example.org/x', '/%5C%09example.org', '//example.org']) {
      await logInWith(next);
      expect(ivy.page.url(), next).to.equal(`${system.url}/jobs`);
      expect(await ivy.page.locator('[role=alert]').count(), next).to.equal(0);
    }
    expect(ivy.console.take()).to.deep.equal([]);
  });

  it('keeps whoever is signed in through a mistyped password on the log-in page, and never goes on to the log-in page', async () => {
    await logInWith(encodeURIComponent('/tokens'));
    expect(new URL(ivy.page.url()).pathname).to.equal('/tokens');
    await ivy.page.goto(`${system.url}/login`);
    await ivy.page.fill('input[name=username]', 'ivy');
    await ivy.page.fill('input[name=password]', 'not the password');
    await ivy.page.click('button[type=submit]');
    await ivy.page.locator('[role=alert]').waitFor();
    // Wrong credentials on the form are the form's error, not the end of ivy's session.
    expect(ivy.page.url()).to.equal(`${system.url}/login`);
    expect(await ivy.page.locator('[data-testid=signed-in-as]').textContent()).to.equal('ivy');
    await ivy.page.fill('input[name=password]', PASSWORD);
    await ivy.page.click('button[type=submit]');
    await ivy.page.waitForURL(`${system.url}/jobs`);
    for (const next of ['/login', '/signup', '/login?next=%2Flogin']) {
      await logInWith(encodeURIComponent(next));
      expect(ivy.page.url(), next).to.equal(`${system.url}/jobs`);
    }
    ivy.console.take();
  });

  it('opens the Job page of a job imported from qlued under its qlued id', async () => {
    const id = '20230321_114612-fermions-fretchen-cec9c';
    await ivy.page.goto(`${system.url}/jobs/${id}`);
    expect(await ivy.page.locator('h1').textContent()).to.equal(`Job ${id}`);
    // None was imported here: the API's answer is what the page shows.
    await ivy.page.locator('[role=alert]').waitFor();
    expect(await ivy.page.locator('[role=alert]').textContent()).to.equal('No such job');
    expect(await ivy.page.title()).to.equal(`Job ${id} · qspool`);
  });
});
