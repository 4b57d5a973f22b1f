// Tokens: the caller's named API tokens (for scripts and qiskit-cold-atom). A new token's secret is shown once,
// right after creation, and never again (the keyboard focus goes to it); revoking asks for a second click instead of a
// dialog.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { EmailStatus } from '../components/email-status.ts';
import { FieldError, fieldState, formErrors, useFocusFirstInvalid, type FormErrors } from '../components/field-errors.ts';
import { useLoad } from '../components/hooks.ts';
import { ErrorNotice, InfoNotice, Loading, useFocusOnMount } from '../components/notice.ts';
import { dateTime } from '../format.ts';
import type { TokenCreated, TokenInfo } from '../types.ts';

/** A new token's secret, shown this once; it takes the focus so that nobody has to look for it. */
function NewToken({ created, onCopy, copied }: { created: TokenCreated; onCopy: () => void; copied: boolean }): VNode {
  const section = useFocusOnMount<HTMLElement>(true);
  return html`<section class="secret" aria-labelledby="new-token" tabindex="-1" ref=${section}>
    <h2 id="new-token">Your new token “${created.name}”</h2>
    <p><strong>Copy it now: it is shown only this once.</strong></p>
    <p><code class="token" data-testid="new-token">${created.token}</code></p>
    <button type="button" onClick=${onCopy}>Copy</button> ${copied ? html`<${InfoNotice}>Copied.<//>` : null}
  </section>`;
}

export function TokensPage(): VNode {
  const tokens = useLoad(() => api<{ tokens: TokenInfo[] }>('GET', '/tokens'), []);
  const [created, setCreated] = useState<TokenCreated | undefined>();
  const [confirming, setConfirming] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [refusal, setRefusal] = useState<FormErrors | undefined>();
  const formElement = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(formElement, refusal);
  const [revoked, setRevoked] = useState<string | undefined>();
  const [copied, setCopied] = useState(false);

  const create = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    setError(undefined);
    setRefusal(undefined);
    setRevoked(undefined);
    setCopied(false);
    try {
      setCreated(await api<TokenCreated>('POST', '/tokens', { name: String(new FormData(form).get('name')) }));
      form.reset();
      await tokens.reload();
    } catch (caught) {
      setRefusal(formErrors(caught, ['name']));
    }
  };
  const revoke = async (id: string, name: string) => {
    if (confirming !== id) return setConfirming(id);
    setConfirming(undefined);
    setRevoked(undefined);
    try {
      await api('DELETE', `/tokens/${id}`);
      if (created?.id === id) setCreated(undefined);
      await tokens.reload();
      setRevoked(`Token “${name}” revoked.`);
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
    <form class="inline" onSubmit=${create} ref=${formElement}>
      <label>Name <input name="name" required maxlength="64" placeholder="laptop" ...${fieldState('name', refusal?.fields.name)} /></label>
      <button type="submit">Create token</button>
      <${FieldError} field="name" error=${refusal?.fields.name} />
    </form>
    <${ErrorNotice} message=${refusal?.form ?? error ?? tokens.error} />
    ${revoked ? html`<${InfoNotice} focus=${true}>${revoked}<//>` : null}
    ${created ? html`<${NewToken} key=${created.id} created=${created} onCopy=${copy} copied=${copied} />` : null}
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
                    : html`<button type="button" class="danger" onClick=${() => revoke(token.id, token.name)} aria-label=${`Revoke token ${token.name}`}>
                        ${confirming === token.id ? 'Confirm revoke' : 'Revoke'}</button>`}
                </td>
              </tr>`)}
          </tbody>
        </table>`
      : null}
  `;
}
