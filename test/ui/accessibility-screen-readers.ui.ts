// The web interface for screen readers, in Debian's Chromium: a job's state changes are read out where they happen
// (its page, the job lists) through polite live regions (WCAG 4.1.3), and refused form values are marked on their
// fields, which name the reason and take the focus (3.3.1, 1.3.1). Run: npm run test:ui.
import { expect } from 'chai';
import { ADMIN, PASSWORD } from './support/system.ts';
import { accessibilitySystemHooks } from './support/accessibility.ts';
import { openPage, type UserPage } from './support/browser.ts';
import { expectFocusOn } from './support/keyboard.ts';

describe('web interface accessibility: for screen readers', function () {
  this.timeout(180_000);
  const a11y = accessibilitySystemHooks();

  describe('state changes read out', () => {
    it('tells of a job going from RUNNING to DONE on its page, politely', async () => {
      const user = await openPage(a11y().browser);
      try {
        await a11y().logIn(user, 'kim');
        await user.page.goto(`${a11y().system.url}/jobs/${a11y().kim.running}`);
        await user.page.locator('[data-testid=job-state] [data-state=RUNNING]').waitFor();
        const region = user.page.locator(':is([role=status], [aria-live=polite])', { hasText: 'RUNNING' });
        expect(await region.count(), 'a polite live region that says the state').to.equal(1);
        const marked = await region.evaluate((element) => {
          element.setAttribute('data-watched', '');
          return element.getAttribute('aria-atomic');
        });
        expect(marked, 'read as a whole when it changes').to.equal('true');
        await a11y().lifecycle.complete(a11y().claims.running, { results: [{ header: { name: 'experiment_0' }, shots: 2, success: true, data: { memory: ['0', '1'] } }] });
        // The same element, there before the change: a live region that appears with its text is not read out.
        await user.page.locator('[data-watched]:has-text("DONE")').waitFor();
        expect(await user.page.locator('[data-watched]').textContent()).to.equal('Job state: DONE.');
      } finally {
        await user.context.close();
      }
    });

    it('tells which job of a list changed state when the list refreshes itself', async () => {
      const user = await openPage(a11y().browser);
      try {
        await a11y().logIn(user, 'kim');
        await user.page.goto(`${a11y().system.url}/jobs`);
        await user.page.locator(`tr[data-job="${a11y().kim.listed}"][data-state=RUNNING]`).waitFor();
        await a11y().lifecycle.fail(a11y().claims.listed, 'the laser is not locked');
        await user.page.locator(`tr[data-job="${a11y().kim.listed}"][data-state=ERROR]`).waitFor();
        const said = user.page.locator(':is([role=status], [aria-live=polite])', { hasText: `Job ${a11y().kim.listed} is ERROR now.` });
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
      const anon = await openPage(a11y().browser);
      try {
        await anon.page.goto(`${a11y().system.url}/login`);
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
      const anon = await openPage(a11y().browser);
      try {
        await anon.page.goto(`${a11y().system.url}/signup`);
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
      const user = await openPage(a11y().browser);
      try {
        await a11y().logIn(user, 'kim');
        await user.page.goto(`${a11y().system.url}/tokens`);
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
      const user = await openPage(a11y().browser);
      try {
        await a11y().logIn(user, 'kim');
        await user.page.goto(`${a11y().system.url}/submit`);
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
      const root = await openPage(a11y().browser);
      try {
        await a11y().logIn(root, ADMIN);
        await root.page.goto(`${a11y().system.url}/admin`);
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
});
