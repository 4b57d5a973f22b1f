// Admin (role admin only): users (disable, role, fair-share weight and max priority), storage providers (list, test,
// activate, deactivate), spooler heartbeats, dead letters, and every user's jobs with requeue, cancel and purge. Nothing
// is requested for other users: the page checks the role first, and the server refuses the admin routes to them anyway.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { AllowancesForm } from '../components/allowances.ts';
import { YesNoBadge } from '../components/badge.ts';
import { DeadLetters } from '../components/dead-letters.ts';
import { useLoad } from '../components/hooks.ts';
import { JobList } from '../components/job-list.ts';
import { ErrorNotice, InfoNotice, Loading } from '../components/notice.ts';
import { dateTime, duration } from '../format.ts';
import { useSession } from '../session.ts';
import type { ProviderView, SpoolerList, UserView } from '../types.ts';

/** Runs an admin action, then reloads what it changed; its outcome shows as a message. */
function useAction(): { message?: string; error?: string; run: (action: () => Promise<string | undefined>) => Promise<void> } {
  const [message, setMessage] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const run = async (action: () => Promise<string | undefined>) => {
    setMessage(undefined);
    setError(undefined);
    try {
      setMessage(await action());
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  return { message, error, run };
}

function Users({ me }: { me: string }): VNode {
  const users = useLoad(() => api<{ users: UserView[]; next_after: string | null }>('GET', '/admin/users?limit=200'), []);
  const action = useAction();
  const change = (user: UserView, body: { disabled?: boolean; role?: string }, done: string) =>
    action.run(async () => {
      await api('PATCH', `/admin/users/${encodeURIComponent(user.username)}`, body);
      await users.reload();
      return done;
    });
  return html`
    <section aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      ${action.message ? html`<${InfoNotice}>${action.message}<//>` : null}
      <${ErrorNotice} message=${action.error ?? users.error} />
      ${users.data
        ? html`<table class="stack">
            <thead><tr><th scope="col">User</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col">State</th><th scope="col">Scheduling</th><th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
            <tbody>${users.data.users.map((user) => html`
              <tr data-user=${user.username}>
                <td data-label="User">${user.username}</td>
                <td data-label="Email">${user.email ?? '—'}</td>
                <td data-label="Role">
                  <select aria-label=${`Role of ${user.username}`} value=${user.role} disabled=${user.username === me}
                    onChange=${(e: Event) => change(user, { role: (e.target as HTMLSelectElement).value }, `${user.username}'s role changed.`)}>
                    <option value="user">user</option><option value="admin">admin</option>
                  </select>
                </td>
                <td data-label="State"><${YesNoBadge} ok=${!user.disabled} yes="enabled" no="disabled" /></td>
                <td data-label="Scheduling">${user.username === me
                  ? `weight ${user.weight}, max priority ${user.max_priority}`
                  : html`<${AllowancesForm} key=${user.username} user=${user} onSaved=${users.reload} />`}</td>
                <td data-label="Created">${dateTime(user.created_at)}</td>
                <td data-label="Actions">${user.username === me
                  ? html`<span class="muted">you</span>`
                  : html`<button type="button" class=${user.disabled ? '' : 'danger'}
                      onClick=${() => change(user, { disabled: !user.disabled }, `${user.username} ${user.disabled ? 'enabled' : 'disabled'}.`)}>
                      ${user.disabled ? 'Enable' : 'Disable'}</button>`}</td>
              </tr>`)}
            </tbody>
          </table>
          ${users.data.next_after ? html`<p class="muted">Showing the first 200 users.</p>` : null}`
        : html`<${Loading} what="users" />`}
    </section>`;
}

function Providers({ onChange }: { onChange: () => void }): VNode {
  const providers = useLoad(() => api<{ providers: ProviderView[] }>('GET', '/admin/providers'), []);
  const action = useAction();
  const test = (name: string) =>
    action.run(async () => {
      const outcome = await api<{ ok: boolean; latency_ms: number; message: string }>('POST', `/admin/providers/${name}/test`);
      if (!outcome.ok) throw new Error(`${name}: ${outcome.message}`);
      return `${name}: ${outcome.message} in ${outcome.latency_ms} ms.`;
    });
  const toggle = (provider: ProviderView) =>
    action.run(async () => {
      const verb = provider.active ? 'deactivate' : 'activate';
      await api('POST', `/admin/providers/${provider.name}/${verb}`);
      await providers.reload();
      onChange();
      return `${provider.name} ${verb}d: its backends are ${provider.active ? 'hidden from' : 'listed on'} the Backends page.`;
    });
  return html`
    <section aria-labelledby="providers-title">
      <h2 id="providers-title">Storage providers</h2>
      ${action.message ? html`<${InfoNotice}>${action.message}<//>` : null}
      <${ErrorNotice} message=${action.error ?? providers.error} />
      ${providers.data
        ? html`<table class="stack">
            <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Description</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
            <tbody>${providers.data.providers.map((p) => html`
              <tr data-provider=${p.name} data-active=${p.active}>
                <td data-label="Name">${p.name}${p.primary ? html` <span class="muted small">(this server's storage)</span>` : null}</td>
                <td data-label="Type">${p.type}</td>
                <td data-label="Description">${p.description}</td>
                <td data-label="State"><${YesNoBadge} ok=${p.active} yes="active" no="inactive" /></td>
                <td data-label="Actions" class="actions">
                  <button type="button" onClick=${() => test(p.name)}>Test</button>
                  <button type="button" class=${p.active ? 'danger' : ''} onClick=${() => toggle(p)}>${p.active ? 'Deactivate' : 'Activate'}</button>
                </td>
              </tr>`)}
            </tbody>
          </table>`
        : html`<${Loading} what="storage providers" />`}
    </section>`;
}

function Spoolers({ version }: { version: number }): VNode {
  const list = useLoad(() => api<SpoolerList>('GET', '/admin/spoolers'), [version], { pollMs: 5000 });
  type Beat = SpoolerList['backends'][number]['spoolers'][number];
  // One row per spooler; a backend without any still gets a row, so a silent device is visible.
  const rows = (list.data?.backends ?? []).flatMap((b) =>
    (b.spoolers.length ? b.spoolers : [undefined]).map((spooler: Beat | undefined) => ({ backend: b.backend, operational: b.operational, spooler })),
  );
  return html`
    <section aria-labelledby="spoolers-title">
      <h2 id="spoolers-title">Spooler heartbeats</h2>
      <${ErrorNotice} message=${list.error} />
      <${ErrorNotice} message=${list.data?.unreachable_providers.length ? `Could not read the spoolers on storage ${list.data.unreachable_providers.join(', ')} just now: they are left out, and the page tries again every few seconds.` : undefined} />
      ${list.data
        ? html`<table class="stack">
            <thead><tr><th scope="col">Backend</th><th scope="col">State</th><th scope="col">Spooler</th><th scope="col">Last heartbeat</th><th scope="col">Running</th></tr></thead>
            <tbody>${rows.map(({ backend, operational, spooler }) => html`
              <tr data-spooler-backend=${backend}>
                <td data-label="Backend">${backend}</td>
                <td data-label="State"><${YesNoBadge} ok=${operational} yes="operational" no="not operational" /></td>
                <td data-label="Spooler">${spooler ? html`<code>${spooler.id}</code>` : html`<span class="muted">none</span>`}</td>
                <td data-label="Last heartbeat">${spooler ? `${duration(spooler.age_seconds)} ago (${dateTime(spooler.last_heartbeat)})` : '—'}</td>
                <td data-label="Running">${spooler?.current_job ? html`<code>${spooler.current_job}</code>` : '—'}</td>
              </tr>`)}
            </tbody>
          </table>`
        : html`<${Loading} what="spoolers" />`}
    </section>`;
}

export function AdminPage(): VNode {
  const session = useSession();
  const [version, setVersion] = useState(0);
  if (session?.user.role !== 'admin') {
    return html`<h1>Admin</h1><p class="notice error" role="alert">This page needs the admin role.</p>`;
  }
  return html`
    <h1>Admin</h1>
    <${Users} me=${session.user.username} />
    <${Providers} onChange=${() => setVersion(version + 1)} />
    <${Spoolers} version=${version} />
    <${DeadLetters} />
    <section aria-labelledby="all-jobs-title">
      <h2 id="all-jobs-title">Everyone's jobs</h2>
      <${JobList} admin=${true} />
    </section>
  `;
}
