// The qspool command line: `qspool <command>`. Exit codes: 0 success, 1 failure (or not found), 2 usage error.
import { Command, CommanderError } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { QspoolError } from '../schemas/errors.ts';
import { ApiError, InvalidOptionsError } from './client/index.ts';

// Each command's module is loaded when that command runs: they pull in different parts of the code base (the
// server, the simulators, the storage SDKs), and a spooler restarted by its supervisor, or a `qspool job status`,
// should not wait for all of them to load.
const load = {
  serve: () => import('./commands/serve.ts'),
  start: () => import('./commands/start.ts'),
  storage: () => import('./commands/storage.ts'),
  backup: () => import('./commands/backup.ts'),
  user: () => import('./commands/user.ts'),
  verify: () => import('./commands/verify.ts'),
  job: () => import('./commands/job.ts'),
  login: () => import('./commands/login.ts'),
  deadLetter: () => import('./commands/dead-letter.ts'),
  secretKey: () => import('./commands/secret-key.ts'),
};

/** The action `pick` finds in the module `module` loads, loaded on first use. */
function lazy<M>(module: () => Promise<M>, pick: (loaded: M) => (...args: never[]) => unknown): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    await (pick(await module()) as (...given: unknown[]) => unknown)(...args);
  };
}

/** An option given once per value (`--tag a --tag b`): a variadic one would take the job file after it for a value too. */
const repeatable = (value: string, values: string[] = []) => [...values, value];

const program = new Command('qspool').description('Quantum devices on the internet through shared storage').version(pkg.version).exitOverride();

program.command('start').description('server and spoolers in one process on local storage (the quick start)').action(lazy(load.start, (m) => m.runStart));

program
  .command('serve')
  .description('run the HTTP server')
  .option('--port <port>', 'port (default $PORT or 8000)')
  .option('--data-dir <dir>', 'local storage directory (default $QSPOOL_DATA_DIR or ./data)')
  .option('--workers <n>', 'server processes on the port (default $QSPOOL_WORKERS or 1)')
  .action(lazy(load.serve, (m) => m.runServe));

program
  .command('spooler')
  .description('run spoolers for one or more backends (comma-separated)')
  .requiredOption('--backend <names>', 'backend names, e.g. singlequdit,qubit')
  .option('--storage <name|dir>', 'a registered storage provider (qspool storage list), or a local directory (contains "/")')
  .action(lazy(load.serve, (m) => m.runSpooler));

const user = program.command('user').description('manage users');
user
  .command('add <name>')
  .description('create a user and print an API token')
  .option('--admin', 'give the user the admin role')
  .option('--email <address>', 'the user\'s email address')
  .option('--json', 'machine-readable output')
  .action(lazy(load.user, (m) => m.runUserAdd));
user.command('list').description('list users').option('--json', 'machine-readable output').action(lazy(load.user, (m) => m.runUserList));
user
  .command('set <name>')
  .description('set a user\'s highest allowed job priority and fair-share weight (see README, Scheduling)')
  .option('--max-priority <n>', 'highest priority the user may ask for, 0–9')
  .option('--weight <w>', 'fair-share weight within a priority, 0.01–100 (default 1)')
  .option('--json', 'machine-readable output')
  .action(lazy(load.user, (m) => m.runUserSet));
user
  .command('disable <name>')
  .description('refuse every credential of a user (401 everywhere); --enable undoes it')
  .option('--enable', 'enable the user again')
  .option('--json', 'machine-readable output')
  .action(lazy(load.user, (m) => m.runUserDisable));
user
  .command('delete <name>')
  .description('delete a user and everything of theirs (jobs, results, tokens, webhooks); also what a user deleted by hand left behind')
  .option('--json', 'machine-readable output')
  .action(lazy(load.user, (m) => m.runUserDelete));
user
  .command('token <name>')
  .description('issue an API token for a user (default), or list or revoke their tokens')
  .option('--label <label>', 'name of the new token (default cli)')
  .option('--list', 'list the user\'s tokens (no secrets)')
  .option('--revoke <id>', 'revoke the token with this id')
  .option('--json', 'machine-readable output')
  .action(lazy(load.user, (m) => m.runUserToken));

const storage = program.command('storage').description('manage the registry of storage providers; back up and restore the local store');
const json = ['--json', 'machine-readable output'] as const;
storage
  .command('add')
  .description('register a provider; the login is validated and stored encrypted (QSPOOL_SECRET_KEY)')
  .requiredOption('--name <name>', 'provider name: lower-case letters and digits')
  .requiredOption('--type <type>', 'local, mongodb, s3 or dropbox')
  .requiredOption('--login <json>', 'login fields, e.g. \'{"base_path": "/srv/lab1"}\', or - (standard input) or @file (mode 0600) to keep secrets off the command line')
  .option('--owner <user>', 'who is responsible for it')
  .option('--description <text>', 'what it is for')
  .option('--inactive', 'register without activating')
  .option('--layout <layout>', 'qspool (default) or sqooler: the documents sqooler spoolers and qlued read and write (local, dropbox, mongodb)')
  .option(...json)
  .action(lazy(load.storage, (m) => m.storageAdd));
storage.command('list').description('list providers').option(...json).action(lazy(load.storage, (m) => m.storageList));
storage.command('show <name>').description('show one provider (secrets hidden)').option(...json).action(lazy(load.storage, (m) => m.storageShow));
storage
  .command('test <name>')
  .description('prove credentials and permissions with a real round trip (exit 1 on failure)')
  .option(...json)
  .action(lazy(load.storage, (m) => m.storageTest));
storage
  .command('activate <name>')
  .description('list its backends again and let them take jobs')
  .option(...json)
  .action(async (name: string, options: { json?: boolean }) => (await load.storage()).storageSetActive(name, true, options));
storage
  .command('deactivate <name>')
  .description('hide its backends and refuse new jobs for them (the primary too, which is never removable)')
  .option(...json)
  .action(async (name: string, options: { json?: boolean }) => (await load.storage()).storageSetActive(name, false, options));
storage
  .command('import-qlued')
  .description('take over a qlued deployment\'s storage provider: its login dict unchanged, the sqooler layout, its jobs indexed')
  .requiredOption('--name <name>', 'the provider\'s qlued name (keeps qlued\'s full backend names)')
  .requiredOption('--type <type>', 'qlued\'s storage_type: local, dropbox or mongodb')
  .requiredOption('--login <json>', 'qlued\'s login dict, e.g. \'{"base_path": "/srv/qlued"}\', or - (standard input) or @file (mode 0600)')
  .option('--jobs-owner <user>', 'the qspool user who owns the jobs of no known qlued user (all jobs on local and MongoDB storage, where qlued records none)')
  .option('--map-user <qlued=qspool>', 'give a qlued user\'s jobs to a qspool user (repeatable; unmapped qlued users map to the qspool user of the same name)', repeatable)
  .option('--description <text>', 'what it is for')
  .option(...json)
  .action(lazy(load.storage, (m) => m.storageImportQlued));
storage.command('remove <name>').description('forget a provider (its data stays)').option(...json).action(lazy(load.storage, (m) => m.storageRemove));
storage
  .command('migrate')
  .description('copy every document from one provider to another; resumes where an interrupted run stopped')
  .requiredOption('--from <name>', 'source provider')
  .requiredOption('--to <name>', 'target provider')
  .option(...json)
  .action(lazy(load.storage, (m) => m.storageMigrate));

storage
  .command('backup <file>')
  .description('copy the local store in $QSPOOL_DATA_DIR to a file (mode 0600) while servers and spoolers run; the secret key is not in it')
  .option('--force', 'replace an existing file')
  .option(...json)
  .action(lazy(load.backup, (m) => m.runStorageBackup));
storage
  .command('restore <file>')
  .description('check a backup and install it as the local store in $QSPOOL_DATA_DIR; refused while any process has the store open, and over an existing store without --force')
  .option('--force', 'set an existing store aside (qspool.db.before-restore-<time>) instead of refusing')
  .option(...json)
  .action(lazy(load.backup, (m) => m.runStorageRestore));

program
  .command('verify [jobId]')
  .description('check the signature of a job\'s result (or, with --config, of a backend\'s published config): exit 0 valid, 1 not')
  .option('--config <backend>', 'verify the config this backend\'s spooler published')
  .option('--json', 'machine-readable output')
  .action(lazy(load.verify, (m) => m.runVerify));

// Remote users' commands: through the native API of a server, with the credentials `qspool login` saved.
program
  .command('login')
  .description('save a server URL and an API token for the job commands (~/.config/qspool/config.json, mode 0600)')
  .option('--url <url>', 'the server (default $QSPOOL_URL or the saved one or http://127.0.0.1:8000)')
  .option('--username <name>', 'log in with this user\'s password and create an API token')
  .option('--password-stdin', 'read the password from stdin')
  .option('--token <token>', 'store this API token instead of logging in')
  .option('--json', 'machine-readable output')
  .action(lazy(load.login, (m) => m.runLogin));
const job = program.command('job').description('submit and follow jobs on a qspool server (see qspool login)');
job
  .command('submit <file>')
  .description('submit a job (JSON file of experiments, - for stdin); --wait follows it: exit 0 DONE, 3 ERROR, 4 CANCELLED')
  .requiredOption('--backend <name>', 'backend, e.g. singlequdit')
  .option('--wait', 'follow the job until it ends')
  .option('--notify <states>', 'e-mail on these states, e.g. RUNNING,DONE (none: no e-mail)')
  .option('--tag <tag>', 'a label for filtering the job list (repeatable)', repeatable)
  .option('--priority <n>', 'priority 0–9 (up to your allowance)')
  .option('--json', 'machine-readable output')
  .action(lazy(load.job, (m) => m.runJobSubmit));
job
  .command('estimate <file>')
  .description('check a job as submit would and estimate its queue wait, run time and result size; queues nothing')
  .requiredOption('--backend <name>', 'backend, e.g. singlequdit')
  .option('--priority <n>', 'priority 0–9 (up to your allowance)')
  .option('--json', 'machine-readable output')
  .action(lazy(load.job, (m) => m.runJobEstimate));
job.command('status <id>').description('a job\'s state, queue position and history').option('--json', 'machine-readable output').action(lazy(load.job, (m) => m.runJobStatus));
job
  .command('result <id>')
  .description('the result of a DONE job (JSON)')
  .option('--output <file>', 'write it to a file')
  .option('--json', 'machine-readable output')
  .action(lazy(load.job, (m) => m.runJobResult));
job.command('cancel <id>').description('cancel a queued or running job').option('--json', 'machine-readable output').action(lazy(load.job, (m) => m.runJobCancel));
job
  .command('list')
  .description('your jobs, oldest first')
  .option('--status <states>', 'comma-separated states, e.g. QUEUED,RUNNING')
  .option('--backend <name>', 'only this backend')
  .option('--limit <n>', 'jobs per page (default 50)')
  .option('--cursor <cursor>', 'the next page')
  .option('--json', 'machine-readable output')
  .action(lazy(load.job, (m) => m.runJobList));
job
  .command('watch <id>')
  .description('follow a job until it ends: exit 0 DONE, 3 ERROR, 4 CANCELLED')
  .option('--json', 'print the finished job as JSON')
  .action(lazy(load.job, (m) => m.runJobWatch));
const secretKey = program.command('secret-key').description('rotate the key that seals secrets at rest (README, Rotating the secret key)');
secretKey.command('status').description('how many sealed documents each key id holds').option('--json', 'machine-readable output').action(lazy(load.secretKey, (m) => m.runSecretKeyStatus));
secretKey
  .command('rotate')
  .description('key-file installs: make a new key file, keeping the old key as the previous one')
  .option('--json', 'machine-readable output')
  .action(lazy(load.secretKey, (m) => m.runSecretKeyRotate));
secretKey.command('reseal').description('seal every stored secret again under the current key').option('--json', 'machine-readable output').action(lazy(load.secretKey, (m) => m.runSecretKeyReseal));
secretKey
  .command('forget-previous')
  .description('remove the previous key file once nothing needs it')
  .option('--force', 'even if documents still need it (they become unreadable)')
  .option('--json', 'machine-readable output')
  .action(lazy(load.secretKey, (m) => m.runSecretKeyForgetPrevious));

const deadLetter = program.command('dead-letter').description('jobs that used up their attempts (admins; see qspool login)');
deadLetter
  .command('list')
  .description('dead-lettered jobs, oldest first')
  .option('--backend <name>', 'only this backend')
  .option('--limit <n>', 'jobs per page (default 50)')
  .option('--after <id>', 'the next page')
  .option('--json', 'machine-readable output')
  .action(lazy(load.deadLetter, (m) => m.runDeadLetterList));
deadLetter.command('show <id>').description('a dead letter with every failed attempt').option('--json', 'machine-readable output').action(lazy(load.deadLetter, (m) => m.runDeadLetterShow));
deadLetter
  .command('requeue <id>')
  .description('put a dead letter back in its queue with a fresh set of attempts')
  .option('--json', 'machine-readable output')
  .action(lazy(load.deadLetter, (m) => m.runDeadLetterRequeue));
deadLetter.command('purge <id>').description('remove a dead letter and every trace of it').option('--json', 'machine-readable output').action(lazy(load.deadLetter, (m) => m.runDeadLetterPurge));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Commander has printed what it had to say: the help or version asked for (its exit code 0, from --help as from
  // `qspool help`), or a usage error.
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  process.stderr.write(`qspool: ${error instanceof QspoolError || error instanceof Error ? error.message : String(error)}\n`);
  process.exit(exitCodeOf(error));
}

/**
 * What was typed, refused (400, 413, 422), is a usage error; anything else is a failure, whether a server or the local
 * store answered: 401, 403, 404, 409 (a user that exists) and 429 say the call failed, not how it was made.
 */
function exitCodeOf(error: unknown): number {
  if (error instanceof InvalidOptionsError) return 2;
  return (error instanceof ApiError || error instanceof QspoolError) && [400, 413, 422].includes(error.status) ? 2 : 1;
}
