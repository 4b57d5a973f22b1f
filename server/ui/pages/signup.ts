// Sign up: a username, an email and a password; the new user is logged in straight away. What the server refuses is
// shown under the field it is about (a taken username, an address it does not take), the rest under the form.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { FieldError, fieldState, formErrors, useFocusFirstInvalid, type FormErrors } from '../components/field-errors.ts';
import { ErrorNotice } from '../components/notice.ts';
import { Link, navigate } from '../router.ts';
import { logIn } from './login.ts';

const FIELDS = ['username', 'email', 'password'];

export function SignupPage(): VNode {
  const [errors, setErrors] = useState<FormErrors | undefined>();
  const [busy, setBusy] = useState(false);
  const formElement = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(formElement, errors);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const username = String(form.get('username'));
    const password = String(form.get('password'));
    setBusy(true);
    setErrors(undefined);
    try {
      await api('POST', '/users', { username, email: String(form.get('email')), password });
      await logIn(username, password);
      navigate('/tokens', true);
    } catch (caught) {
      setErrors(formErrors(caught, FIELDS, { user_exists: 'username', user_deleting: 'username' }));
    } finally {
      setBusy(false);
    }
  };
  const field = errors?.fields ?? {};
  return html`
    <h1>Sign up</h1>
    <form class="narrow" onSubmit=${submit} ref=${formElement}>
      <label>Username <input name="username" autocomplete="username" required pattern="[a-z0-9][a-z0-9_\\-]{0,63}"
        ...${fieldState('username', field.username, 'username-help')} /></label>
      <p id="username-help" class="help">Lower-case letters, digits, "_" and "-".</p>
      <${FieldError} field="username" error=${field.username} />
      <label>Email <input name="email" type="email" autocomplete="email" required maxlength="254" ...${fieldState('email', field.email)} /></label>
      <${FieldError} field="email" error=${field.email} />
      <label>Password <input name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="256"
        ...${fieldState('password', field.password, 'password-help')} /></label>
      <p id="password-help" class="help">At least 8 characters.</p>
      <${FieldError} field="password" error=${field.password} />
      <${ErrorNotice} message=${errors?.form} />
      <button type="submit" disabled=${busy}>Create account</button>
    </form>
    <p>Already have an account? <${Link} href="/login">Log in<//>.</p>
  `;
}
