// `qspool login`: remembers a server and an API token for the `qspool job` commands, in the config file
// ($QSPOOL_CONFIG or ~/.config/qspool/config.json, mode 0600). With a username it logs in with the password
// (asked without echo on a terminal, or read from stdin), creates a long-lived API token and ends the short-lived
// access token it logged in with; with --token it checks and stores that token.
import { hostname } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { loadCredentials, QspoolClient, saveCredentials } from '../client/index.ts';
import { cliRetries } from './job.ts';
import { UsageError } from './usage.ts';

export interface LoginOptions {
  url?: string;
  token?: string;
  username?: string;
  passwordStdin?: boolean;
  json?: boolean;
}

/**
 * Reads one line, with a prompt only for a person at a terminal. Standard input ending first (/dev/null, an empty
 * pipe) is a usage error: the question would otherwise stay unanswered while the process exits.
 */
async function askLine(question: string, missing: string): Promise<string> {
  const terminal = process.stdin.isTTY === true;
  const rl = createInterface({ input: process.stdin, ...(terminal ? { output: process.stderr } : {}), terminal });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('close', () => reject(new UsageError(missing)));
      rl.question(question).then((answer) => resolve(answer.trim()), reject);
    });
  } finally {
    rl.close();
  }
}

/** The username to log in as, asked only at a terminal: from a pipe the password would be taken for it. */
async function askUsername(): Promise<string> {
  if (!process.stdin.isTTY) throw new UsageError('No username given and standard input is not a terminal: pass --username');
  return askLine('Username: ', 'No username given: pass --username');
}

/** Reads a password without echoing it on a terminal; elsewhere reads one line. */
async function askHidden(question: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) return askLine(question, 'No password given: standard input ended before a line (pipe the password in, or pass --token)');
  process.stderr.write(question);
  input.setRawMode(true);
  input.resume();
  let text = '';
  try {
    for await (const chunk of input) {
      for (const char of (chunk as Buffer).toString('utf8')) {
        if (char === '\r' || char === '\n') return text;
        if (char === '\u0003') process.exit(130);
        text = char === '\u007f' || char === '\b' ? text.slice(0, -1) : text + char;
      }
    }
    return text;
  } finally {
    input.setRawMode(false);
    input.pause();
    process.stderr.write('\n');
  }
}

/** The password piped in; none at all is a usage error, as off a terminal without --password-stdin. */
async function readPasswordStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (password === '') throw new UsageError('No password given: standard input was empty (pipe the password in, or pass --token)');
  return password;
}

/** A token label the server accepts: "cli on <host>". */
function tokenLabel(): string {
  return `cli on ${hostname().replace(/[^A-Za-z0-9 _.:-]/g, '-')}`.slice(0, 64);
}

export async function runLogin(options: LoginOptions): Promise<void> {
  const saved = await loadCredentials();
  const url = (options.url ?? saved.url).replace(/\/+$/, '');
  // A URL from QSPOOL_URL or the saved file is refused naming where it came from: nobody typed it here.
  const urlFrom = options.url === undefined ? saved.urlFrom : undefined;
  const retries = cliRetries();
  let token = options.token;
  if (!token) {
    const username = options.username ?? (await askUsername());
    const password = options.passwordStdin ? await readPasswordStdin() : await askHidden('Password: ');
    const access = await new QspoolClient({ url, urlFrom, ...retries }).login(username, password);
    const session = new QspoolClient({ url, token: access.access_token, ...retries });
    token = (await session.createToken(tokenLabel())).token;
    // The access token was only the way to the API token: ended now rather than left valid for its whole lifetime.
    // The API token exists by now, so a failure here is reported but does not fail the login.
    await session.logout().catch((error: unknown) => {
      const why = error instanceof Error ? error.message : String(error);
      process.stderr.write(`qspool: warning: could not end the log-in session (${why}); it expires by itself within ${access.expires_in} s\n`);
    });
  }
  // Whatever the token came from, check it before storing it.
  const me = await new QspoolClient({ url, token, urlFrom, ...retries }).me();
  if (typeof me?.username !== 'string') throw new Error(`${url}/api/v1/users/me answered without a username: is ${url} a qspool server?`);
  const path = await saveCredentials({ url, token, username: me.username });
  const result = { url, username: me.username, config: path };
  process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `Logged in to ${url} as ${me.username}; credentials saved in ${path} (mode 0600)\n`);
}
