// Where the client finds its server and token: QSPOOL_URL and QSPOOL_TOKEN when set, else the file `qspool login`
// wrote ($QSPOOL_CONFIG, or ~/.config/qspool/config.json), readable by its owner only (mode 0600).
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { makeDirectory } from '../../storage/directories.ts';

export interface Credentials {
  url: string;
  token: string;
  /** Who logged in, for messages only. */
  username?: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:8000';

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.QSPOOL_CONFIG) return env.QSPOOL_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'qspool', 'config.json');
}

async function readFileCredentials(path: string): Promise<Partial<Credentials>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    throw new Error(`Cannot read ${path} (${code ?? (error as Error).message})`, { cause: error });
  }
  const parsed = parseObject(text);
  // Neither JSON.parse's message nor the text goes into the error: they may quote the token.
  if (!parsed) throw new Error(`${path} is not a JSON object: fix it, or delete it and run qspool login again`);
  return {
    ...(typeof parsed.url === 'string' ? { url: parsed.url } : {}),
    ...(typeof parsed.token === 'string' ? { token: parsed.token } : {}),
    ...(typeof parsed.username === 'string' ? { username: parsed.username } : {}),
  };
}

/** The file's settings object; undefined for anything else, JSON or not. */
function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The environment wins over the file, variable by variable; the token may be missing (then calls answer 401).
 * `urlFrom` names where the URL was found (QSPOOL_URL or the file), for messages about a URL nobody typed.
 */
export async function loadCredentials(env: NodeJS.ProcessEnv = process.env): Promise<Partial<Credentials> & { url: string; urlFrom?: string }> {
  const path = configPath(env);
  const file = await readFileCredentials(path);
  const urlFrom = env.QSPOOL_URL ? 'QSPOOL_URL' : file.url ? path : undefined;
  return {
    ...file,
    url: env.QSPOOL_URL || file.url || DEFAULT_URL,
    ...(urlFrom ? { urlFrom } : {}),
    ...(env.QSPOOL_TOKEN ? { token: env.QSPOOL_TOKEN } : {}),
  };
}

/** Writes the file with mode 0600 (replacing it atomically, so it is never readable by others even briefly). */
export async function saveCredentials(credentials: Credentials, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = configPath(env);
  await makeDirectory(dirname(path), 0o700);
  // qspool's own folder is tightened even if something made it earlier with a looser mode; a folder named by
  // QSPOOL_CONFIG may be shared (a home directory) and is the user's to set.
  if (!env.QSPOOL_CONFIG) await chmod(dirname(path), 0o700);
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, path);
  return path;
}
