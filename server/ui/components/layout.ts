// The frame of every page: the header with the navigation (wrapping on narrow screens), who is signed in, and the
// page's main landmark.
import { html } from 'htm/preact';
import type { ComponentChildren, VNode } from 'preact';
import { useEffect } from 'preact/hooks';
import { Link, navigate } from '../router.ts';
import { logOut, useSession } from '../session.ts';

const LINKS: [string, string, boolean][] = [
  ['/backends', 'Backends', false],
  ['/submit', 'Submit', true],
  ['/jobs', 'My jobs', true],
  ['/tokens', 'Tokens', true],
];

export function Layout({ path, children }: { path: string; children?: ComponentChildren }): VNode {
  const session = useSession();
  const onLogOut = () => void logOut().then(() => navigate('/login'));
  const links = LINKS.filter(([, , needsLogin]) => !needsLogin || session);
  if (session?.user.role === 'admin') links.push(['/admin', 'Admin', true]);
  const current = (href: string) => (path === href || (href !== '/' && path.startsWith(`${href}/`)) ? 'page' : undefined);
  return html`
    <header class="top">
      <${Link} href="/backends" class="brand">qspool<//>
      <nav aria-label="Main">
        <ul>
          ${links.map(([href, label]) => html`<li><${Link} href=${href} aria-current=${current(href)}>${label}<//></li>`)}
        </ul>
      </nav>
      <div class="who">
        ${session
          ? html`<span class="user" data-testid="signed-in-as">${session.user.username}</span>
              <button type="button" class="link" onClick=${onLogOut}>Log out</button>`
          : html`<${Link} href="/login">Log in<//> <${Link} href="/signup">Sign up<//>`}
      </div>
    </header>
    <main id="main">${children}</main>
  `;
}

/** Pages that need a signed-in user send everyone else to the log-in page, and back here afterwards. */
export function RequireLogin({ path, children }: { path: string; children?: ComponentChildren }): VNode {
  const session = useSession();
  useEffect(() => {
    if (!session) navigate(`/login?next=${encodeURIComponent(path + location.search)}`, true);
  }, [session, path]);
  return session ? html`${children}` : html`<p class="muted">Redirecting to the log-in page…</p>`;
}
