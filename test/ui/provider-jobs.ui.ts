// Jobs on a registered storage provider in Debian's Chromium: the Jobs list, the Job page and the admin's dead letters
// show the full name the job was submitted to (lab1_singlequdit_simulator), not to be confused with the server's own
// singlequdit's.
// Run: npm run test:ui.
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { GOOD_JOB } from '../native-api/harness.ts';
import { deadLetterQueued, SECRET_KEY, startLabProvider, type LabProvider } from '../support/lab-provider.ts';
import { launchBrowser, openPage, type UserPage } from './support/browser.ts';
import { ADMIN, PASSWORD, startUiSystem, type UiSystem } from './support/system.ts';

const LAB_BACKEND = 'lab1_singlequdit_simulator';

describe('web interface: jobs on a registered storage provider', function () {
  this.timeout(180_000);
  let system: UiSystem;
  let lab: LabProvider;
  let browser: Browser;
  let ivy: UserPage;
  let token: string;

  before(async () => {
    [system, browser] = await Promise.all([startUiSystem({ QSPOOL_SECRET_KEY: SECRET_KEY }), launchBrowser()]);
    lab = await startLabProvider(system.storage, system.config, 'lab1', ['singlequdit']);
    await system.server.users.createUser('ivy', { role: 'user', email: 'ivy@example.org', password: PASSWORD });
    ivy = await openPage(browser);
    await ivy.page.goto(`${system.url}/login?next=/jobs`);
    await ivy.page.fill('input[name=username]', 'ivy');
    await ivy.page.fill('input[name=password]', PASSWORD);
    await ivy.page.click('button[type=submit]');
    await ivy.page.waitForURL((url) => url.pathname === '/jobs');
    const login = await fetch(`${system.url}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'ivy', password: PASSWORD }),
    });
    token = ((await login.json()) as { access_token: string }).access_token;
  });

  after(async () => {
    await browser?.close();
    await lab?.stop();
    await system?.stop();
  });

  const submit = async (backend: string) => {
    const answer = await system.call('POST', `/backends/${backend}/jobs`, token, { payload: GOOD_JOB });
    expect(answer.status, answer.text).to.equal(201);
    return (answer.body as { id: string }).id;
  };

  it('lists a lab job under its full name and the server\'s own under its display name, and names it so on its page', async () => {
    const [onLab, own] = [await submit(LAB_BACKEND), await submit('singlequdit')];
    await ivy.page.goto(`${system.url}/jobs`);
    const backendOf = (id: string) => ivy.page.locator('tr', { hasText: id }).locator('td[data-label=Backend]');
    expect(await backendOf(onLab).textContent()).to.equal(LAB_BACKEND);
    expect(await backendOf(own).textContent()).to.equal('singlequdit');
    await ivy.page.goto(`${system.url}/jobs/${onLab}`);
    const backend = ivy.page.locator('dt:text-is("Backend") + dd');
    await backend.waitFor();
    expect(await backend.textContent()).to.equal(`${LAB_BACKEND} on storage provider lab1`);
  });

  it('shows a lab job that used up its attempts under its full name among the admin\'s dead letters', async () => {
    await lab.pause();
    const id = await submit(LAB_BACKEND);
    expect(await deadLetterQueued(lab.storage, 'singlequdit')).to.include(id);
    const root = await openPage(browser);
    await root.page.goto(`${system.url}/login?next=/admin`);
    await root.page.fill('input[name=username]', ADMIN);
    await root.page.fill('input[name=password]', PASSWORD);
    await root.page.click('button[type=submit]');
    const backend = root.page.locator(`tr[data-dead-letter="${id}"] td[data-label=Backend]`);
    await backend.waitFor();
    expect(await backend.textContent()).to.equal(LAB_BACKEND);
    await root.context.close();
  });
});
