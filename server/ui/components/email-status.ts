// Where the caller's job mails go: their address once confirmed; until then, a note that the link we mailed must be
// opened first, and a button that mails a new one (the server allows one a minute).
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { useLoad } from './hooks.ts';
import { ErrorNotice, InfoNotice } from './notice.ts';
import type { UserView } from '../types.ts';

export function EmailStatus(): VNode | null {
  const me = useLoad(() => api<UserView>('GET', '/users/me'), []);
  const [sentTo, setSentTo] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const resend = async () => {
    setError(undefined);
    try {
      setSentTo((await api<{ sent_to: string }>('POST', '/users/me/email/check')).sent_to);
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  const user = me.data;
  if (!user?.email) return null;
  if (user.email_verified) return html`<p class="muted" data-testid="email-status">Job mails go to ${user.email}.</p>`;
  return html`<section data-testid="email-status">
    <p>Job mails go to <strong>${user.email}</strong> only once you confirm it with the link mailed there (when this server sends mail).</p>
    <button type="button" onClick=${resend}>Mail a new link</button>
    ${sentTo ? html`<${InfoNotice}>Sent to ${sentTo}.<//>` : null}
    <${ErrorNotice} message=${error} />
  </section>`;
}
