// Messages on a page: errors (announced to screen readers at once), confirmations, the loading state, and the
// boundary that turns a page's rendering failure into an error message.
import { html } from 'htm/preact';
import type { ComponentChildren, VNode } from 'preact';
import { useErrorBoundary } from 'preact/hooks';
import { errorText } from '../api.ts';

export function ErrorNotice({ message }: { message: string | undefined }): VNode | null {
  return message ? html`<p class="notice error" role="alert">${message}</p>` : null;
}

export function InfoNotice({ children }: { children?: ComponentChildren }): VNode {
  return html`<p class="notice info" role="status">${children}</p>`;
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
