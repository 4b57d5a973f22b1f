// Tokens: the caller's named API tokens (for scripts and qiskit-cold-atom). A new token's secret is shown once,
// right after creation, and never again; revoking asks for a second click instead of a dialog.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { EmailStatus } from '../components/email-status.ts';
import { useLoad } from '../components/hooks.ts';
import { ErrorNotice, InfoNotice, Loading } from '../components/notice.ts';
import { dateTime } from '../format.ts';
import type { TokenCreated, TokenInfo } from '../types.ts';

export function TokensPage(): VNode {
  const tokens = useLoad(() => api<{ tokens: TokenInfo[] }>('GET', '/tokens'), []);
  const [created, setCreated] = useState<TokenCreated | undefined>();
  const [confirming, setConfirming] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [copied, setCopied] = useState(false);

  const create = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    setError(undefined);
    setCopied(false);
    try {
      setCreated(await api<TokenCreated>('POST', '/tokens', { name: String(new FormData(form).get('name')) }));
      form.reset();
      await tokens.reload();
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  const revoke = async (id: string) => {
    if (confirming !== id) return setConfirming(id);
    setConfirming(undefined);
    try {
      await api('DELETE', `/tokens/${id}`);
      if (created?.id === id) setCreated(undefined);
      await tokens.reload();
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  const copy = async () => {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.token);
      setCopied(true);
    } catch {
      setError('The browser refused to copy; select the token and copy it by hand.');
    }
  };

  return html`
    <h1>API tokens</h1>
    <${EmailStatus} />
    <p>Scripts and qiskit-cold-atom authenticate with a token: <code>Authorization: Bearer <var>token</var></code> on /api/v1, or
      <code>token</code> on the qlued routes.</p>
    <form class="inline" onSubmit=${create}>
      <label>Name <input name="name" required maxlength="64" placeholder="laptop" /></label>
      <button type="submit">Create token</button>
    </form>
    <${ErrorNotice} message=${error ?? tokens.error} />
    ${created
      ? html`<section class="secret" aria-labelledby="new-token">
          <h2 id="new-token">Your new token “${created.name}”</h2>
          <p><strong>Copy it now: it is shown only this once.</strong></p>
          <p><code class="token" data-testid="new-token">${created.token}</code></p>
          <button type="button" onClick=${copy}>Copy</button> ${copied ? html`<${InfoNotice}>Copied.<//>` : null}
        </section>`
      : null}
    ${tokens.loading && !tokens.data ? html`<${Loading} what="tokens" />` : null}
    ${tokens.data && tokens.data.tokens.length === 0 ? html`<p class="muted">No tokens yet.</p>` : null}
    ${tokens.data && tokens.data.tokens.length > 0
      ? html`<table class="stack">
          <thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Created</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            ${tokens.data.tokens.map((token) => html`
              <tr data-token=${token.id}>
                <td data-label="Name">${token.name}</td>
                <td data-label="Id"><code>${token.id}</code></td>
                <td data-label="Created">${dateTime(token.created_at)}</td>
                <td data-label="State">${token.revoked_at ? `revoked ${dateTime(token.revoked_at)}` : 'active'}</td>
                <td data-label="Actions">
                  ${token.revoked_at
                    ? null
                    : html`<button type="button" class="danger" onClick=${() => revoke(token.id)} aria-label=${`Revoke token ${token.name}`}>
                        ${confirming === token.id ? 'Confirm revoke' : 'Revoke'}</button>`}
                </td>
              </tr>`)}
          </tbody>
        </table>`
      : null}
  `;
}
