// Messages on a page: errors (announced to screen readers at once), confirmations, the loading state, and the
// boundary that turns a page's rendering failure into an error message. A message that reports what a button did
// can take the keyboard focus (`focus`): where the button is gone afterwards (a cancelled job's Cancel, a purged row),
// focus would otherwise fall back to the top of the page.
import { html } from 'htm/preact';
import type { ComponentChildren, VNode } from 'preact';
import { useEffect, useErrorBoundary, useRef } from 'preact/hooks';
import { errorText } from '../api.ts';

/** A ref whose element takes the focus when it appears (and `focus` is set). */
export function useFocusOnMount<T extends HTMLElement>(focus: boolean): { current: T | null } {
  const element = useRef<T>(null);
  useEffect(() => {
    if (focus) element.current?.focus();
  }, []);
  return element;
}

/** `id`: for the fields the error is about to name it in their aria-describedby. */
export function ErrorNotice({ message, id }: { message: string | undefined; id?: string }): VNode | null {
  return message ? html`<p class="notice error" role="alert" id=${id}>${message}</p>` : null;
}

export function InfoNotice({ children, focus = false }: { children?: ComponentChildren; focus?: boolean }): VNode {
  const element = useFocusOnMount<HTMLParagraphElement>(focus);
  return html`<p class="notice info" role="status" ref=${element} tabindex=${focus ? -1 : undefined}>${children}</p>`;
}

export function Loading({ what }: { what: string }): VNode {
  return html`<p class="muted" role="status">Loading ${what}…</p>`;
}

/**
 * Shows a page that failed to render as an error instead of leaving the whole interface half-drawn: an exception in
 * one page's rendering (data a lab wrote in a shape nobody expected) would otherwise stop Preact mid-update, and
 * every page visited afterwards would show stale parts of the broken one. Keyed by the path where it is used, so the
 * next page starts afresh.
 */
export function PageBoundary({ children }: { children?: ComponentChildren }): VNode {
  const [error] = useErrorBoundary();
  return error ? html`<${ErrorNotice} message=${`This page could not be shown: ${errorText(error)}`} />` : html`${children}`;
}
