// The web interface's entry point: picks the page from the address and renders it in the common layout.
// Built by scripts/build-ui.mjs into server/ui/dist; served by server/routes/ui.ts.
import { html, render } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { QLUED_JOB_ID_PATTERN } from '../../schemas/qlued-job-id.ts';
import { focusPage, Layout, RequireLogin } from './components/layout.ts';
import { PageBoundary } from './components/notice.ts';
import { AdminPage } from './pages/admin.ts';
import { BackendsPage } from './pages/backends.ts';
import { JobPage } from './pages/job.ts';
import { JobsPage } from './pages/jobs.ts';
import { LoginPage } from './pages/login.ts';
import { SignupPage } from './pages/signup.ts';
import { SubmitPage } from './pages/submit.ts';
import { TokensPage } from './pages/tokens.ts';
import { VerifyEmailPage } from './pages/verify-email.ts';
import { navigate, useLocation, type Location } from './router.ts';
import { getSession } from './session.ts';

// qspool's job ids, and the ids of jobs imported from a qlued Dropbox deployment, which keep qlued's (they are in
// everyone's job list like the others).
const JOB_ID = new RegExp(`^[0-9a-f]{24}$|${QLUED_JOB_ID_PATTERN}`);
const JOB_PAGE = '/jobs/';

function page({ path, query }: Location): { title: string; body: VNode; login: boolean } {
  const job = path.startsWith(JOB_PAGE) ? path.slice(JOB_PAGE.length) : undefined;
  if (job !== undefined && JOB_ID.test(job)) return { title: `Job ${job}`, body: html`<${JobPage} id=${job} />`, login: true };
  switch (path) {
    case '/backends':
      return { title: 'Backends', body: html`<${BackendsPage} />`, login: false };
    case '/submit':
      return { title: 'Submit a job', body: html`<${SubmitPage} preset=${query.get('backend')} />`, login: true };
    case '/jobs':
      return { title: 'My jobs', body: html`<${JobsPage} />`, login: true };
    case '/tokens':
      return { title: 'API tokens', body: html`<${TokensPage} />`, login: true };
    case '/verify-email':
      return { title: 'Confirm your e-mail address', body: html`<${VerifyEmailPage} code=${query.get('code')} />`, login: true };
    case '/admin':
      return { title: 'Admin', body: html`<${AdminPage} />`, login: true };
    case '/login':
      return { title: 'Log in', body: html`<${LoginPage} next=${query.get('next')} />`, login: false };
    case '/signup':
      return { title: 'Sign up', body: html`<${SignupPage} />`, login: false };
    default:
      return { title: 'Not found', body: html`<h1>Not found</h1><p>There is no page at <code>${path}</code>.</p>`, login: false };
  }
}

function App(): VNode {
  const where = useLocation();
  const home = where.path === '/';
  const { title, body, login } = page(where);
  useEffect(() => {
    // The front door: your jobs when signed in, the devices otherwise.
    if (home) navigate(getSession() ? '/jobs' : '/backends', true);
    else document.title = `${title} · qspool`;
  }, [home, title]);
  // Every move to another address but the first load (where the browser starts at the top anyway).
  const address = `${where.path}?${where.query.toString()}`;
  const loaded = useRef(false);
  useEffect(() => {
    if (loaded.current) focusPage();
    loaded.current = true;
  }, [address]);
  if (home) return html`<${Layout} path="/" />`;
  const framed = html`<${PageBoundary} key=${where.path}>${body}<//>`;
  return html`<${Layout} path=${where.path}>${login ? html`<${RequireLogin} path=${where.path}>${framed}<//>` : framed}<//>`;
}

render(html`<${App} />`, document.getElementById('app')!);
