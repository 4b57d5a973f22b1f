// The qspool command line: `qspool <command>`. Exit codes: 0 success, 1 failure, 2 usage error.
import { Command } from 'commander';
import { QspoolError } from '../schemas/errors.ts';
import { runServe, runSpooler } from './commands/serve.ts';
import { runStart } from './commands/start.ts';
import { runUserAdd } from './commands/user.ts';

const program = new Command('qspool').description('Quantum devices on the internet through shared storage').exitOverride();

program.command('start').description('server and spoolers in one process on local storage (the quick start)').action(runStart);

program
  .command('serve')
  .description('run the HTTP server')
  .option('--port <port>', 'port (default $PORT or 8000)')
  .option('--data-dir <dir>', 'local storage directory (default $QSPOOL_DATA_DIR or ./data)')
  .action(runServe);

program
  .command('spooler')
  .description('run spoolers for one or more backends (comma-separated)')
  .requiredOption('--backend <names>', 'backend names, e.g. singlequdit,qubit')
  .option('--storage <dir>', 'local storage directory shared with the server')
  .action(runSpooler);

const user = program.command('user').description('manage users');
user
  .command('add <name>')
  .description('create a user and print an API token')
  .option('--admin', 'give the user the admin role')
  .option('--json', 'machine-readable output')
  .action(runUserAdd);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const code = (error as { code?: string }).code;
  if (code === 'commander.helpDisplayed' || code === 'commander.version') process.exit(0);
  if (typeof code === 'string' && code.startsWith('commander.')) process.exit(2);
  process.stderr.write(`qspool: ${error instanceof QspoolError || error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
