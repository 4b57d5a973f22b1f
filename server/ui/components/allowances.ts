// A user's scheduling allowances on the admin page: their fair-share weight and highest job priority, saved with
// PATCH /admin/users/{name}. The inputs carry the ranges only as hints; the server is the one judge (the form does not
// validate), so a refused value shows the API's own words beside the inputs, which keep what was typed. The outcome
// stays in the row it belongs to: with many users, a message at the top of the table would be out of sight.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { formErrors } from './field-errors.ts';
import { ErrorNotice, InfoNotice } from './notice.ts';
import type { UserView } from '../types.ts';

/** An empty number input (also what the browser leaves of text that is no number) goes as null, which the server names. */
const numberOf = (value: FormDataEntryValue | null) => (value === null || value === '' ? null : Number(value));

export function AllowancesForm({ user, onSaved }: { user: UserView; onSaved: () => Promise<void> }): VNode {
  const [outcome, setOutcome] = useState<{ saved?: string; error?: string; fields?: Record<string, string> }>({});
  // Admins may always use the highest priority (the server reports 9 whatever is stored), so theirs is not offered.
  const admin = user.role === 'admin';
  // The refusal is said once, beside the inputs, and each input it is about is marked and points at it.
  const errorId = `allowances-error-${user.username}`;
  const state = (field: string) => (outcome.fields?.[field] ? { 'aria-invalid': 'true', 'aria-describedby': errorId } : {});
  const save = async (event: Event) => {
    event.preventDefault();
    const fields = new FormData(event.currentTarget as HTMLFormElement);
    const body = { weight: numberOf(fields.get('weight')), ...(admin ? {} : { max_priority: numberOf(fields.get('max_priority')) }) };
    setOutcome({});
    try {
      const changed = await api<UserView>('PATCH', `/admin/users/${encodeURIComponent(user.username)}`, body);
      setOutcome({ saved: `Saved: weight ${changed.weight}, max priority ${changed.max_priority}.` });
      await onSaved();
    } catch (caught) {
      setOutcome({ error: `Not saved: ${errorText(caught)}`, fields: formErrors(caught, ['weight', 'max_priority']).fields });
    }
  };
  return html`
    <form class="allowances" novalidate onSubmit=${save}>
      <label>Weight
        <input name="weight" type="number" min="0.01" max="100" step="any" defaultValue=${user.weight} aria-label=${`Weight of ${user.username}`}
          ...${state('weight')} />
      </label>
      ${admin
        ? html`<span class="muted small">max priority ${user.max_priority} (admin)</span>`
        : html`<label>Max priority
            <input name="max_priority" type="number" min="0" max="9" step="1" defaultValue=${user.max_priority} aria-label=${`Max priority of ${user.username}`}
            ...${state('max_priority')} />
          </label>`}
      <button type="submit" aria-label=${`Save weight and max priority of ${user.username}`}>Save</button>
      ${outcome.saved ? html`<${InfoNotice}>${outcome.saved}<//>` : null}
      <${ErrorNotice} message=${outcome.error} id=${errorId} />
    </form>`;
}
