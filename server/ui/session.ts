// The signed-in user. The access token (a JWT from POST /api/v1/auth/token) lives in sessionStorage: readable only
// by this origin's scripts (and the CSP lets no other script run), gone when the tab closes, and sent only as an
// Authorization header, never as a cookie, so another site cannot make the browser send it (no CSRF). Logging out
// ends it on the server too (the one request the pages make outside api.ts, which would send them to the log-in
// page on a 401).
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

/** How long logging out waits for the server: a server that does not answer must not keep anyone signed in here. */
const LOG_OUT_WAIT_MS = 5000;

/** Said on the log-in page after a log-out the server did not confirm; taken once (takeLogOutNotice). */
let logOutNotice: string | undefined;

/**
 * Asks the server to end the session's access token, so that a copy of it (a shared machine's sessionStorage, a
 * proxy log) stops working too, then forgets it here, whether the server answered or not. `keepalive` lets the
 * request finish when the tab is closed right after. A server that did not confirm (unreachable, too slow, an error)
 * still accepts the token until it expires, and the log-in page says so: whoever has a copy could go on using it.
 */
export async function logOut(): Promise<void> {
  const session = getSession();
  if (session) {
    const ended = await fetch('/api/v1/auth/token', {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${session.token}` },
      keepalive: true,
      signal: AbortSignal.timeout(LOG_OUT_WAIT_MS),
    }).then((response) => response.ok, () => false);
    logOutNotice = ended
      ? undefined
      : `You are logged out in this tab, but the server could not be told: the session's token stays valid until ${new Date(session.expiresAt).toLocaleString()}. Log in and out again to end it sooner.`;
  }
  setSession(undefined);
}

/** The notice of the last unconfirmed log-out, once: a later visit to the log-in page shows nothing. */
export function takeLogOutNotice(): string | undefined {
  const notice = logOutNotice;
  logOutNotice = undefined;
  return notice;
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
