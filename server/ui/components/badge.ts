// A job's state as a coloured badge (the word is always there: colour is never the only signal).
import { html } from 'htm/preact';
import type { VNode } from 'preact';

export function StateBadge({ state }: { state: string }): VNode {
  return html`<span class=${`badge state-${state.toLowerCase()}`} data-state=${state}>${state}</span>`;
}

export function YesNoBadge({ ok, yes, no }: { ok: boolean; yes: string; no: string }): VNode {
  return html`<span class=${`badge ${ok ? 'ok' : 'bad'}`}>${ok ? yes : no}</span>`;
}
