// A command called wrongly (an option missing or malformed): a 4xx QspoolError, so cli.ts exits 2 for it, as for the
// usage errors commander finds itself.
import { readdirSync } from 'node:fs';
import { loadConfig } from '../../config/index.ts';
import { QspoolError } from '../../schemas/errors.ts';

export class UsageError extends QspoolError {
  constructor(message: string) {
    super('usage', 400, message);
  }
}

/**
 * An option's whole number from `min` to `max`, written in decimal digits: Number() alone took "" for 0 (an empty
 * `--priority ""` became priority 0), and "0x5" or " 5 " for 5.
 */
export function integerOption(option: string, text: string, min: number, max: number): number {
  const value = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) throw new UsageError(`${option} must be an integer from ${min} to ${max}, not ${JSON.stringify(text)}`);
  return value;
}

/** An option's decimal number from `min` to `max` (digits with an optional fraction, e.g. 2.5 or .5). */
export function numberOption(option: string, text: string, min: number, max: number): number {
  const value = /^([0-9]{1,16}(\.[0-9]*)?|\.[0-9]+)$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) throw new UsageError(`${option} must be a number from ${min} to ${max}, not ${JSON.stringify(text)}`);
  return value;
}

/** The data directory when it holds no store (it is empty or missing); undefined when it does, or the store is elsewhere. */
function storelessDataDir(): string | undefined {
  const config = loadConfig(process.env);
  // A store named by QSPOOL_STORE_FILE is not in the data directory; opening it creates nothing there.
  if (config.QSPOOL_STORE_FILE) return undefined;
  const dir = config.QSPOOL_DATA_DIR;
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch (error) {
    // A directory this user may not read is no mistyped path: "check the path" sent them looking in the wrong place.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new Error(`Cannot read ${dir} (QSPOOL_DATA_DIR): ${code ?? (error as Error).message}`, { cause: error });
  }
  return entries.length === 0 ? dir : undefined;
}

/**
 * For commands that read or change what a store holds: opening a data directory creates a store in it, so a mistyped
 * QSPOOL_DATA_DIR answered "No users." (and left an empty store behind) instead of saying it holds nothing.
 */
export function assertStoreExists(): void {
  const dir = storelessDataDir();
  if (dir) throw new UsageError(`No qspool store in ${dir} (QSPOOL_DATA_DIR): check the path; the server creates its store when it first starts`);
}

/**
 * For the commands that may make the store (`user add`, `storage add`): a first user added from another directory than
 * the server's (./data is relative) went into a new store of its own, and its token was refused with no hint why.
 */
export function noteNewStore(): void {
  const dir = storelessDataDir();
  if (dir) process.stderr.write(`qspool: made a new store in ${dir} (QSPOOL_DATA_DIR), which held none: a server sees what this adds only if it runs on that data directory\n`);
}
