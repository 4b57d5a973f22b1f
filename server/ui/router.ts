// Page addresses without a router library: the path picks the page, links push history entries, and the
// back button works. The server answers every page path with the same index.html (server/routes/ui.ts).
import { useEffect, useState } from 'preact/hooks';
import { html } from 'htm/preact';
import type { ComponentChildren, VNode } from 'preact';

type Listener = () => void;
const listeners = new Set<Listener>();
window.addEventListener('popstate', () => listeners.forEach((listener) => listener()));

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.scrollTo(0, 0);
  listeners.forEach((listener) => listener());
}

export interface Location {
  path: string;
  query: URLSearchParams;
}

const here = (): Location => ({ path: location.pathname, query: new URLSearchParams(location.search) });

export function useLocation(): Location {
  const [where, set] = useState(here());
  useEffect(() => {
    const update = () => set(here());
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return where;
}

/** A normal link (opens in a new tab on ctrl-click) that navigates in place on a plain click. */
export function Link(props: { href: string; class?: string; children?: ComponentChildren; 'aria-current'?: string }): VNode {
  const onClick = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(props.href);
  };
  return html`<a href=${props.href} class=${props.class} aria-current=${props['aria-current']} onClick=${onClick}>${props.children}</a>`;
}
