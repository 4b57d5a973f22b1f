// Sign up: a username, an email and a password; the new user is logged in straight away.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError, errorText } from '../api.ts';
import { ErrorNotice } from '../components/notice.ts';
import { Link, navigate } from '../router.ts';
import { logIn } from './login.ts';

/** The field problems of a 422 in words: "password: must NOT have fewer than 8 characters". */
function describe(error: unknown): string {
  if (error instanceof ApiError && Array.isArray(error.details)) {
    const problems = (error.details as { loc?: unknown[]; msg?: string }[]).map((p) => `${(p.loc ?? []).slice(1).join('.')}: ${p.msg ?? ''}`);
    if (problems.length > 0) return problems.join('; ');
  }
  return errorText(error);
}

export function SignupPage(): VNode {
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const username = String(form.get('username'));
    const password = String(form.get('password'));
    setBusy(true);
    setError(undefined);
    try {
      await api('POST', '/users', { username, email: String(form.get('email')), password });
      await logIn(username, password);
      navigate('/tokens', true);
    } catch (caught) {
      setError(describe(caught));
    } finally {
      setBusy(false);
    }
  };
  return html`
    <h1>Sign up</h1>
    <form class="narrow" onSubmit=${submit}>
      <label>Username <input name="username" autocomplete="username" required pattern="[a-z0-9][a-z0-9_\\-]{0,63}"
        aria-describedby="username-help" /></label>
      <p id="username-help" class="help">Lower-case letters, digits, "_" and "-".</p>
      <label>Email <input name="email" type="email" autocomplete="email" required maxlength="254" /></label>
      <label>Password <input name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="256"
        aria-describedby="password-help" /></label>
      <p id="password-help" class="help">At least 8 characters.</p>
      <${ErrorNotice} message=${error} />
      <button type="submit" disabled=${busy}>Create account</button>
    </form>
    <p>Already have an account? <${Link} href="/login">Log in<//>.</p>
  `;
}
