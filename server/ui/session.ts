// The signed-in user. The access token (a JWT from POST /api/v1/auth/token) lives in sessionStorage: readable only
// by this origin's scripts (and the CSP lets no other script run), gone when the tab closes, and sent only as an
// Authorization header, never as a cookie, so another site cannot make the browser send it (no CSRF).
import { useEffect, useState } from 'preact/hooks';
import type { UserView } from './types.ts';

const KEY = 'qspool.session';

export interface Session {
  token: string;
  /** Milliseconds since the epoch; the server refuses the token afterwards. */
  expiresAt: number;
  user: UserView;
}

type Listener = (session: Session | undefined) => void;
const listeners = new Set<Listener>();

function read(): Session | undefined {
  try {
    const stored = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    return stored && stored.expiresAt > Date.now() ? stored : undefined;
  } catch {
    return undefined;
  }
}

let current = read();

export function getSession(): Session | undefined {
  if (current && current.expiresAt <= Date.now()) setSession(undefined);
  return current;
}

export function setSession(session: Session | undefined): void {
  current = session;
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener(session);
}

/** Re-renders the component whenever someone logs in or out. */
export function useSession(): Session | undefined {
  const [session, set] = useState(getSession());
  useEffect(() => {
    listeners.add(set);
    return () => void listeners.delete(set);
  }, []);
  return session;
}
