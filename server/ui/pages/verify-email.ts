// The page the confirmation mail links to (`/verify-email?code=…`): a click confirms the address for the user who is
// logged in (the outcome takes the focus, as the button is gone). It never confirms on load, so a mail scanner that
// follows the link confirms nothing.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { ErrorNotice, InfoNotice } from '../components/notice.ts';
import { Link } from '../router.ts';
import { getSession } from '../session.ts';
import type { UserView } from '../types.ts';

const CODE = /^[0-9a-f]{32}$/;

export function VerifyEmailPage({ code }: { code: string | null }): VNode {
  const [confirmed, setConfirmed] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  if (!code || !CODE.test(code)) {
    return html`<h1>Confirm your e-mail address</h1><${ErrorNotice} message="This link has no valid code: copy the whole link from the mail." />`;
  }
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setConfirmed((await api<UserView>('POST', '/users/me/email/confirm', { code })).email ?? '');
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };
  return html`
    <h1>Confirm your e-mail address</h1>
    ${confirmed !== undefined
      ? html`<${InfoNotice} focus=${true}>Confirmed: job mails go to ${confirmed} now.<//> <p><${Link} href="/jobs">Your jobs<//></p>`
      : html`<p>Job mails of <strong>${getSession()?.user.username}</strong> go to the address only once it is confirmed.</p>
          <button type="button" onClick=${confirm} disabled=${busy}>Confirm</button>`}
    <${ErrorNotice} message=${error} />
  `;
}
