// Messages on a page: errors (announced to screen readers at once), confirmations, and the loading state.
import { html } from 'htm/preact';
import type { ComponentChildren, VNode } from 'preact';

export function ErrorNotice({ message }: { message: string | undefined }): VNode | null {
  return message ? html`<p class="notice error" role="alert">${message}</p>` : null;
}

export function InfoNotice({ children }: { children?: ComponentChildren }): VNode {
  return html`<p class="notice info" role="status">${children}</p>`;
}

export function Loading({ what }: { what: string }): VNode {
  return html`<p class="muted" role="status">Loading ${what}…</p>`;
}
