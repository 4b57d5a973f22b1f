// The frame of every page: a link past the header for keyboard users, the header with the navigation (wrapping on
// narrow screens), who is signed in, and the page's main landmark.
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

const MAIN = 'main';

export function Layout({ path, children }: { path: string; children?: ComponentChildren }): VNode {
  const session = useSession();
  const onLogOut = () => void logOut().then(() => navigate('/login'));
  const links = LINKS.filter(([, , needsLogin]) => !needsLogin || session);
  if (session?.user.role === 'admin') links.push(['/admin', 'Admin', true]);
  const current = (href: string) => (path === href || (href !== '/' && path.startsWith(`${href}/`)) ? 'page' : undefined);
  // Moves the focus itself: a plain #main link would add a history entry to every page it is used on.
  const skip = (event: MouseEvent) => {
    event.preventDefault();
    document.getElementById(MAIN)?.focus();
  };
  return html`
    <a class="skip" href=${`#${MAIN}`} onClick=${skip}>Skip to main content</a>
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
    <main id=${MAIN} tabindex="-1">${children}</main>
  `;
}

/**
 * Puts the keyboard focus (and a screen reader's reading position) on the page's heading, or its main landmark where
 * it has none: after moving to another page in place, it would stay on a link that is gone.
 */
export function focusPage(): void {
  const heading = document.querySelector<HTMLElement>(`#${MAIN} h1`);
  if (heading) heading.tabIndex = -1;
  (heading ?? document.getElementById(MAIN))?.focus();
}

/** Pages that need a signed-in user send everyone else to the log-in page, and back here afterwards. */
export function RequireLogin({ path, children }: { path: string; children?: ComponentChildren }): VNode {
  const session = useSession();
  useEffect(() => {
    if (!session) navigate(`/login?next=${encodeURIComponent(path + location.search)}`, true);
  }, [session, path]);
  return session ? html`${children}` : html`<p class="muted">Redirecting to the log-in page…</p>`;
}
