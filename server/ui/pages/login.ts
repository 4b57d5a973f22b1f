// Log in: username and password for an access token (kept in this tab only), then back where the user was going.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { api, ApiError, errorText } from '../api.ts';
import { useFocusFirstInvalid } from '../components/field-errors.ts';
import { ErrorNotice, InfoNotice } from '../components/notice.ts';
import { Link, navigate } from '../router.ts';
import { setSession, takeLogOutNotice } from '../session.ts';
import type { AccessToken, UserView } from '../types.ts';

/** Exchanges a password for an access token and starts the session; shared with the sign-up page. */
export async function logIn(username: string, password: string): Promise<void> {
  const granted = await api<AccessToken>('POST', '/auth/token', { username, password });
  const expiresAt = Date.now() + granted.expires_in * 1000;
  // The profile is read with the new token before the session exists, so nothing else sees a half-made session.
  const response = await fetch('/api/v1/users/me', { headers: { Authorization: `Bearer ${granted.access_token}`, Accept: 'application/json' } });
  if (!response.ok) throw new Error('Logged in, but the profile could not be read');
  setSession({ token: granted.access_token, expiresAt, user: (await response.json()) as UserView });
}

/**
 * Only pages of this site: `next` comes from the address bar and must not send anyone elsewhere. It is read as the
 * browser reads it, which drops tabs and line breaks (`/<tab>/host` is `//host`, another site, as is `/\host`);
 * anything else, and the log-in and sign-up pages themselves, means the job list. (Another site could not be reached
 * anyway, navigate() only moves in this one, but it would fail after a successful log-in and leave the user on this
 * page with the browser's error.)
 */
function safeNext(next: string | null): string {
  if (!next?.startsWith('/')) return '/jobs';
  try {
    const url = new URL(next, location.origin);
    // Back to the log-in or sign-up page would leave a user who just logged in looking at the form again.
    if (url.origin !== location.origin || url.pathname === '/login' || url.pathname === '/signup') return '/jobs';
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return '/jobs';
  }
}

const LOGIN_ERROR = 'login-error';

export function LoginPage({ next }: { next: string | null }): VNode {
  const [loggedOutNotice] = useState(takeLogOutNotice);
  // `fields`: the refusal is about what was typed (401, 422), not the server or the network (503, no answer).
  const [errors, setErrors] = useState<{ form: string; fields: boolean } | undefined>();
  const [busy, setBusy] = useState(false);
  const formElement = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(formElement, errors);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setErrors(undefined);
    try {
      await logIn(String(form.get('username')), String(form.get('password')));
      navigate(safeNext(next), true);
    } catch (caught) {
      setErrors({ form: errorText(caught), fields: caught instanceof ApiError && (caught.status === 401 || caught.status === 422) });
    } finally {
      setBusy(false);
    }
  };
  // Wrong credentials are both fields' error: the server does not say which was wrong.
  const credentials = errors?.fields ? { 'aria-invalid': 'true', 'aria-describedby': LOGIN_ERROR } : {};
  return html`
    <h1>Log in</h1>
    ${loggedOutNotice ? html`<${InfoNotice}>${loggedOutNotice}<//>` : null}
    <form class="narrow" onSubmit=${submit} ref=${formElement}>
      <label>Username <input name="username" autocomplete="username" required maxlength="64" ...${credentials} /></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="256" ...${credentials} /></label>
      <${ErrorNotice} message=${errors?.form} id=${LOGIN_ERROR} />
      <button type="submit" disabled=${busy}>Log in</button>
    </form>
    <p>No account yet? <${Link} href="/signup">Sign up<//>.</p>
  `;
}
