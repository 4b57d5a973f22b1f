// The web interface facing results it did not expect, in Debian's Chromium: the server serves a result exactly as
// the lab's spooler (or a sqooler spooler on a shared store) wrote it, so a malformed or enormous one must show as
// such on its own Job page and leave every other page working; one backend that cannot be read leaves the others on
// the Backends page. Run: npm run test:ui.
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import examples from '../../server/ui/examples.json' with { type: 'json' };
import { MAX_OUTCOMES } from '../../server/ui/components/histogram.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { ns } from '../../storage/records.ts';
import { eventually, postJson } from '../support/system.ts';
import { expectNoConsoleErrors, expectNoHorizontalScroll, launchBrowser, openPage, type UserPage } from './support/browser.ts';
import { PASSWORD, startUiSystem, type UiSystem } from './support/system.ts';

const BACKEND = 'singlequdit';
const payload = examples.examples.find((e) => e.id === 'quickstart-singlequdit-half-flip')!.payload;

describe('web interface with hostile results', function () {
  this.timeout(180_000);
  let system: UiSystem;
  let browser: Browser;
  let eve: UserPage;
  let jwt: string;
  let lifecycle: JobLifecycle;

  /** A DONE job of eve's whose stored result is then replaced by `result`. */
  async function jobWithResult(result: unknown): Promise<string> {
    const { id } = (await system.call('POST', `/backends/${BACKEND}/jobs`, jwt, { payload })).body as { id: string };
    const done = await eventually(async () => {
      const found = await lifecycle.find(BACKEND, id);
      return found?.value.state === 'DONE' ? found.value : undefined;
    }, 60_000);
    if (result !== undefined) await system.storage.put(ns.results(BACKEND), done.resultKey!, result);
    return id;
  }

  before(async () => {
    [system, browser] = await Promise.all([startUiSystem(), launchBrowser()]);
    lifecycle = new JobLifecycle(system.storage);
    await system.server.users.createUser('eve', { role: 'user', email: 'eve@example.org', password: PASSWORD });
    jwt = ((await postJson(`${system.url}/api/v1/auth/token`, { username: 'eve', password: PASSWORD })).body as { access_token: string }).access_token;
    eve = await openPage(browser);
    await eve.page.goto(`${system.url}/login`);
    await eve.page.fill('input[name=username]', 'eve');
    await eve.page.fill('input[name=password]', PASSWORD);
    await eve.page.click('button[type=submit]');
    await eve.page.locator('[data-testid=signed-in-as]').waitFor();
  });

  after(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('shows a result without a list of experiments as unreadable, and the next job as usual', async () => {
    const [unreadable, nameless, fine] = [
      await jobWithResult({ results: 'not a list' }),
      await jobWithResult({ results: [{ header: null, data: null }, 7] }),
      await jobWithResult(undefined),
    ];
    await eve.page.goto(`${system.url}/jobs/${unreadable}`);
    await eve.page.locator('[data-testid=result-unreadable]').waitFor();
    expect(await eve.page.locator('[data-testid=download-result]').count(), 'the raw JSON is still offered').to.equal(1);
    expectNoConsoleErrors(eve.console, 'a result without experiments');

    await eve.page.goto(`${system.url}/jobs/${nameless}`);
    const figures = eve.page.locator('figure.histogram');
    await figures.nth(1).waitFor();
    expect(await figures.evaluateAll((all) => all.map((f) => f.getAttribute('data-experiment')))).to.deep.equal(['experiment 0', 'experiment 1']);
    expectNoConsoleErrors(eve.console, 'experiments without header or data');

    // Moving on inside the page (no reload) to a job with a proper result draws that job, not leftovers.
    await eve.page.goto(`${system.url}/jobs/${unreadable}`);
    await eve.page.locator('[data-testid=result-unreadable]').waitFor();
    await eve.page.click('nav >> text=My jobs');
    await eve.page.click(`tr[data-job="${fine}"] a`);
    await eve.page.locator('figure.histogram canvas').waitFor();
    expect(await eve.page.locator('h1 .job-id').textContent()).to.equal(fine);
    expect(await eve.page.locator('[data-testid=result-unreadable]').count()).to.equal(0);
    expectNoConsoleErrors(eve.console, 'the next job');
  });

  it('plots the most frequent outcomes of a result with 300 000 distinct ones, at once', async () => {
    // Outcome i is seen once, except every 2000th, seen twice: those 150 are shown, then the earliest of the rest.
    const memory = Array.from({ length: 300_000 }, (_, i) => `${i % 2} ${i}`);
    for (let i = 0; i < 300_000; i += 2000) memory.push(`${i % 2} ${i}`);
    const big = await jobWithResult({ results: [{ header: { name: 'wide' }, shots: memory.length, success: true, data: { memory, instructions: null } }] });
    const started = Date.now();
    await eve.page.goto(`${system.url}/jobs/${big}`);
    await eve.page.locator('figure.histogram canvas').waitFor();
    expect(Date.now() - started, 'ms until the histogram is drawn').to.be.below(10_000);
    const figure = eve.page.locator('figure.histogram');
    expect(await figure.locator('figcaption').textContent()).to.equal(`wide: ${memory.length} shots, 300000 distinct outcomes, the ${MAX_OUTCOMES} most frequent shown`);
    const plotted = JSON.parse((await figure.getAttribute('data-counts'))!) as [string, number][];
    expect(plotted).to.have.length(MAX_OUTCOMES);
    expect(plotted.slice(0, 3)).to.deep.equal([['0 0', 2], ['0 2', 1], ['0 4', 1]]);
    expect(plotted.filter(([, count]) => count === 2)).to.have.length(150);
    expectNoConsoleErrors(eve.console, 'a result with 300 000 distinct outcomes');
  });

  it('shows a result with 1000 experiments at once, drawing each chart as it comes into view', async () => {
    const results = Array.from({ length: 1000 }, (_, i) => ({ header: { name: `e${i}` }, data: { memory: Array.from({ length: 20 }, (_, k) => String((i + k) % 5)) } }));
    const many = await jobWithResult({ results });
    const started = Date.now();
    await eve.page.goto(`${system.url}/jobs/${many}`);
    const figures = eve.page.locator('figure.histogram');
    await figures.first().locator('canvas').waitFor();
    expect(Date.now() - started, 'ms until the first chart is drawn').to.be.below(15_000);
    expect(await figures.count()).to.equal(1000);
    // Only the charts near the screen are built; each measures the page, and all 1000 froze it for half a minute.
    expect(await eve.page.locator('figure.histogram canvas').count(), 'charts drawn before scrolling').to.be.below(50);
    const last = figures.last();
    expect(await last.locator('figcaption').textContent()).to.equal('e999: 20 shots, 5 distinct outcomes');
    await last.scrollIntoViewIfNeeded();
    await last.locator('canvas').waitFor();
    expectNoConsoleErrors(eve.console, 'a result with 1000 experiments');
  });

  it('keeps a phone\'s page within its screen whatever the lengths of names, tags and outcomes', async () => {
    const phone = await openPage(browser, 360, 800);
    await phone.page.goto(`${system.url}/login`);
    await phone.page.fill('input[name=username]', 'eve');
    await phone.page.fill('input[name=password]', PASSWORD);
    await phone.page.click('button[type=submit]');
    await phone.page.locator('[data-testid=signed-in-as]').waitFor();
    // The longest tags the API takes, and an experiment name and outcome as long as a lab cares to write.
    const tags = ['a', 'b', 'c'].map((letter) => letter.repeat(32));
    const { id } = (await system.call('POST', `/backends/${BACKEND}/jobs`, jwt, { payload, tags })).body as { id: string };
    const done = await eventually(async () => {
      const found = await lifecycle.find(BACKEND, id);
      return found?.value.state === 'DONE' ? found.value : undefined;
    }, 60_000);
    const long = 'x'.repeat(300);
    await system.storage.put(ns.results(BACKEND), done.resultKey!, { results: [{ header: { name: long }, data: { memory: [long, '1'] } }] });
    await phone.page.goto(`${system.url}/jobs/${id}`);
    await phone.page.locator('figure.histogram canvas').waitFor();
    await phone.page.click('figure.histogram summary');
    await expectNoHorizontalScroll(phone.page, 'the Job page');
    await phone.page.click('nav >> text=My jobs');
    await phone.page.locator(`tr[data-job="${id}"]`).waitFor();
    await expectNoHorizontalScroll(phone.page, 'My jobs');
    expectNoConsoleErrors(phone.console, 'long names on a phone');
    await phone.page.close();
  });

  it('shows that storage is down (503) while it is, then the page again by itself once it is back', async () => {
    const down = { error: { code: 'storage_unavailable', message: 'Storage is unavailable just now; try again shortly' } };
    await eve.page.route('**/api/v1/backends', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify(down) }));
    await eve.page.goto(`${system.url}/backends`);
    await eve.page.locator('main [role=alert]').waitFor();
    expect(await eve.page.locator('main [role=alert]').textContent()).to.equal(down.error.message);
    // Still down at the next poll: still said, nothing else.
    await eve.page.waitForTimeout(6000);
    expect(await eve.page.locator('main [role=alert]').textContent()).to.equal(down.error.message);
    await eve.page.unroute('**/api/v1/backends');
    await eve.page.locator(`article[data-backend=${BACKEND}]`).waitFor({ timeout: 15_000 });
    expect(await eve.page.locator('main [role=alert]').count()).to.equal(0);
    eve.console.take();
  });

  it('shows every backend it can read when one of them cannot be read, and that one again once it can', async () => {
    const unreadable = '**/api/v1/backends/fermions';
    const body = JSON.stringify({ error: { code: 'storage_unavailable', message: 'The storage is unavailable', details: null } });
    await eve.page.route(unreadable, (route) => route.fulfill({ status: 503, contentType: 'application/json', body }));
    await eve.page.goto(`${system.url}/backends`);
    await eve.page.locator('article[data-backend=singlequdit]').waitFor();
    expect(await eve.page.locator('[role=alert]').textContent()).to.include('Could not read fermions');
    expect(await eve.page.locator('article[data-backend=fermions]').count()).to.equal(0);
    await eve.page.unroute(unreadable);
    await eve.page.locator('article[data-backend=fermions]').waitFor({ timeout: 15_000 });
    expect(await eve.page.locator('[role=alert]').count()).to.equal(0);
  });
});
