// Checks that a user's e-mail address is theirs before job mails go to it: otherwise anyone could sign up with a
// stranger's address and have the lab's mail server send that stranger a mail per job. The user gets a one-time code
// (in a link) at the address; only its SHA-256 is stored, on the user's record.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface EmailCheck {
  /** The address the code was sent to: a code confirms only that address. */
  address: string;
  hash: string;
  sentAt: string;
  expiresAt: string;
}

/** How long a code stays good. */
const VALID_MS = 24 * 60 * 60 * 1000;
/** At most one mail per this long per user, so the check cannot be used to flood an address either. */
export const RESEND_GAP_MS = 60 * 1000;

const digest = (code: string) => createHash('sha256').update(code).digest();

export function newEmailCheck(address: string, now = Date.now()): { check: EmailCheck; code: string } {
  const code = randomBytes(16).toString('hex');
  const check = {
    address,
    hash: digest(code).toString('hex'),
    sentAt: new Date(now).toISOString(),
    expiresAt: new Date(now + VALID_MS).toISOString(),
  };
  return { check, code };
}

/** Seconds until another code may be sent (0: now). */
export function resendWaitSeconds(check: EmailCheck | undefined, now = Date.now()): number {
  const wait = check ? Date.parse(check.sentAt) + RESEND_GAP_MS - now : 0;
  return wait > 0 ? Math.ceil(wait / 1000) : 0;
}

/** Whether `code` is the live code sent to `address`. */
export function confirms(check: EmailCheck | undefined, code: string, address: string | null | undefined, now = Date.now()): boolean {
  if (!check || check.address !== address || Date.parse(check.expiresAt) <= now) return false;
  return timingSafeEqual(digest(code), Buffer.from(check.hash, 'hex'));
}
