// Form errors tied to their fields, for people who cannot see where a message stands: which field an API refusal is
// about, and the attributes that make a screen reader say it on the field (aria-invalid, and aria-describedby naming
// the field's help text and its error).
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect } from 'preact/hooks';
import { ApiError, errorText } from '../api.ts';

export interface FormErrors {
  /** Field name → what is wrong with it. */
  fields: Record<string, string>;
  /** What no single field is to blame for. */
  form?: string;
}

/**
 * Sorts a refusal onto a form's fields: a 422's problems go to the field their `loc` names (['body', 'email'] → email)
 * where the form has it, other refusals by their code (`byCode`: user_exists → username); the rest is the form's.
 */
export function formErrors(error: unknown, fields: readonly string[], byCode: Record<string, string> = {}): FormErrors {
  const sorted: FormErrors = { fields: {} };
  const rest: string[] = [];
  if (error instanceof ApiError && Array.isArray(error.details) && error.details.length > 0) {
    for (const problem of error.details as { loc?: unknown[]; msg?: string }[]) {
      const field = String(problem.loc?.[1] ?? '');
      const text = `${(problem.loc ?? []).slice(1).join('.')}: ${problem.msg ?? ''}`;
      if (fields.includes(field)) sorted.fields[field] = sorted.fields[field] ? `${sorted.fields[field]}; ${text}` : text;
      else rest.push(text);
    }
  } else if (error instanceof ApiError && byCode[error.code] !== undefined) {
    sorted.fields[byCode[error.code]!] = error.message;
  } else {
    rest.push(errorText(error));
  }
  if (rest.length) sorted.form = rest.join('; ');
  return sorted;
}

const errorIdOf = (field: string) => `${field}-error`;

/** A field's ARIA state: invalid while `error` says so, described by its help text and its error. */
export function fieldState(field: string, error: string | undefined, help?: string): { 'aria-invalid'?: 'true'; 'aria-describedby'?: string } {
  const described = [help, error ? errorIdOf(field) : undefined].filter(Boolean).join(' ');
  return { ...(error ? { 'aria-invalid': 'true' as const } : {}), ...(described ? { 'aria-describedby': described } : {}) };
}

/** The error under a field, where fieldState's aria-describedby points. */
export function FieldError({ field, error }: { field: string; error: string | undefined }): VNode | null {
  return error ? html`<p class="field-error" id=${errorIdOf(field)}>${error}</p>` : null;
}

/** After a refused submission, the keyboard focus goes to the first field in error (`errors` is new only then). */
export function useFocusFirstInvalid(form: { current: HTMLFormElement | null }, errors: object | undefined): void {
  useEffect(() => {
    if (errors) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errors]);
}
